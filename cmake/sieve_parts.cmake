# The parts of src/sieve and what each may include: the one table of the layering.
#
# CMakeLists.txt builds one static library per part, sieve_<part>, linked to the parts in its
# DEPS; cmake/check_layers.cmake (the `layers` test, and the `check_layers` step of every build)
# reads the same table and fails on any `#include "sieve/..."` of a part that is not below.
# docs/ARCHITECTURE.md draws it.
#
# A part is one or more folders under src/sieve; a file belongs to the part with the longest
# folder that contains it (io/container/container.h is `container`, io/onnx/onnx.h is `io`).
# A part may include its own files and those of every part reachable through DEPS (its DEPS,
# their DEPS, ...). Parts are listed bottom to top; DEPS name only parts listed above them, so
# the table cannot hold a cycle.
#
# The data flow: import (io, zoo) -> IR -> compress (which trains, hence train and the float
# runtime below it) -> container (.sieve), the fixed-point engine and the CPU engine (cpu: it
# reads compressed layers, so it sits above compress) -> compiler (workload,
# plans) -> hw (accelerator models) -> app (drivers that combine them) -> api (the library API of
# the programming model: descriptors and calls that build and simulate programs) -> tools/sieve
# (the CLI) and examples/.
#
#          part       folders under src/sieve       may include (and what those may include)
sieve_part(core      FOLDERS core)
sieve_part(ir        FOLDERS ir                     DEPS core)
sieve_part(zoo       FOLDERS zoo                    DEPS ir)
sieve_part(io        FOLDERS io                     DEPS ir)
sieve_part(runtime   FOLDERS runtime                DEPS ir)
sieve_part(train     FOLDERS train                  DEPS runtime)
sieve_part(compress  FOLDERS compress               DEPS train io)
sieve_part(container FOLDERS io/container           DEPS compress)
sieve_part(fixed16   FOLDERS runtime/fixed16        DEPS compress)
sieve_part(cpu       FOLDERS runtime/cpu            DEPS compress)
sieve_part(compiler  FOLDERS compiler               DEPS compress)
sieve_part(hw        FOLDERS hw                     DEPS compiler fixed16 zoo)
sieve_part(app       FOLDERS app hw/sim             DEPS hw container cpu)
sieve_part(api       FOLDERS api                    DEPS app)

# Exceptions: single includes that break the layering, each with the reason it is still there.
# The check accepts exactly these (file, include) pairs and nothing else; CMakeLists.txt links
# the two libraries both ways while one is listed. An entry whose include is gone is reported,
# so that it is deleted.
#
# (none)

