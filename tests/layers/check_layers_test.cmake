# The layering check (cmake/check_layers.cmake) fails where it must: it runs on a copy of
# src/sieve (in a fresh folder under the temp folder, removed at the end) with one fault put
# in at a time, and expects exit status 1 and a message naming the file, the include and both
# parts; the copy as it is passes.
#
#   cmake -DSOURCE_DIR=<repository> -P tests/layers/check_layers_test.cmake
cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_layers_test: pass -DSOURCE_DIR=<repository>")
endif()
set(check ${SOURCE_DIR}/cmake/check_layers.cmake)

if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(tmp "$ENV{TMPDIR}")
else()
  set(tmp /tmp)
endif()
string(RANDOM LENGTH 12 suffix)
set(work "${tmp}/sieve-check-layers-${suffix}")
file(MAKE_DIRECTORY "${work}")
file(COPY "${SOURCE_DIR}/src/sieve" DESTINATION "${work}/src")
file(COPY "${SOURCE_DIR}/cmake/sieve_parts.cmake" DESTINATION "${work}")
set(tree "${work}/src/sieve")

set(failures "")

# run_check(<name> <expected exit status> <expected text>...): runs the check on the copy and
# records a failure unless the status matches and the output holds every text.
function(run_check name expect_rc)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -DSIEVE_SRC=${work}/src -DSIEVE_PARTS_FILE=${work}/sieve_parts.cmake
            -P ${check}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(all "${out}${err}")
  if(NOT rc EQUAL expect_rc)
    list(APPEND failures "${name}: exit status ${rc}, expected ${expect_rc} -- output:\n${all}")
  endif()
  foreach(text IN LISTS ARGN)
    string(FIND "${all}" "${text}" pos)
    if(pos EQUAL -1)
      list(APPEND failures "${name}: the output lacks \"${text}\" -- output:\n${all}")
    endif()
  endforeach()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

# append_line(<file> <line>) and restore(<file>): put a fault into the copy and take it out.
function(append_line file line)
  file(READ "${tree}/${file}" text)
  file(WRITE "${tree}/${file}.orig" "${text}")
  file(APPEND "${tree}/${file}" "${line}\n")
endfunction()
function(restore file)
  file(RENAME "${tree}/${file}.orig" "${tree}/${file}")
endfunction()

# 0. The copy as it is passes.
run_check(clean 0 "follow the layers")

# 1. A back-edge: the IR includes a driver of the top layer.
append_line(ir/graph.h "#include \"sieve/app/pipeline.h\"")
run_check(back-edge 1
  "src/sieve/ir/graph.h: #include \"sieve/app/pipeline.h\": part ir may not include part app")
restore(ir/graph.h)

# 2. A sideways edge: zoo and io are both above ir, neither above the other.
append_line(zoo/builder.cc "  #  include \"sieve/io/onnx/onnx.h\"  // indented, spaced")
run_check(sideways 1
  "src/sieve/zoo/builder.cc: #include \"sieve/io/onnx/onnx.h\": part zoo may not include part io")
restore(zoo/builder.cc)

# 3. A sub-folder that is a part of its own: io/container sits above compress, io below.
append_line(compress/model.cc "#include \"sieve/io/container/container.h\"")
run_check(subfolder-part 1
  "src/sieve/compress/model.cc: #include \"sieve/io/container/container.h\": part compress may not include part container")
restore(compress/model.cc)

# 4. The exception allows one file's one include, not the edge: another compiler file
#    including the same hw header fails.
append_line(compiler/tiling.h "#include \"sieve/hw/core/params.h\"")
run_check(exception-is-one-include 1
  "src/sieve/compiler/tiling.h: #include \"sieve/hw/core/params.h\": part compiler may not include part hw")
restore(compiler/tiling.h)

# 5. Several faults are all reported.
append_line(core/status.h "#include \"sieve/ir/graph.h\"")
append_line(runtime/executor.h "#include \"sieve/compress/model.h\"")
run_check(two-faults 1
  "part core may not include part ir" "part runtime may not include part compress"
  "2 problem(s)")
restore(core/status.h)
restore(runtime/executor.h)

# 6. A file in a folder no part holds, and an include of one.
file(MAKE_DIRECTORY "${tree}/newpart")
file(WRITE "${tree}/newpart/thing.h" "#pragma once\n")
append_line(app/pipeline.cc "#include \"sieve/newpart/thing.h\"")
run_check(no-part 1 "src/sieve/newpart/thing.h: in no part"
  "src/sieve/app/pipeline.cc: #include \"sieve/newpart/thing.h\": no part holds sieve/newpart/thing.h")
restore(app/pipeline.cc)
file(REMOVE_RECURSE "${tree}/newpart")

# 7. A cycle in the table: a part may only depend on parts listed above it.
file(READ "${work}/sieve_parts.cmake" table)
string(REGEX REPLACE "(sieve_part\\(ir[^\n]*DEPS core)" "\\1 app" cyclic "${table}")
if(cyclic STREQUAL table)
  list(APPEND failures "table-cycle: could not find the line of part ir in the table")
endif()
file(WRITE "${work}/sieve_parts.cmake" "${cyclic}")
run_check(table-cycle 1 "part ir depends on app, which is not a part listed")
file(WRITE "${work}/sieve_parts.cmake" "${table}")

# 8. An exception no longer needed is reported (and does not fail the check). (Skipped once the
#    table lists no exception.)
if(table MATCHES "\nsieve_layer_exception\\(compiler/placement.h INCLUDES sieve/hw/core/params.h\\)")
file(READ "${tree}/compiler/placement.h" placement)
string(REPLACE "#include \"sieve/hw/core/params.h\"" "" no_edge "${placement}")
file(WRITE "${tree}/compiler/placement.h" "${no_edge}")
run_check(stale-exception 0 "is no longer needed: delete it")
file(WRITE "${tree}/compiler/placement.h" "${placement}")
endif()

# 9. An include between two design folders fails.
append_line(hw/archs/ese/perf.cc "#include \"sieve/hw/archs/eie/perf.h\"")
run_check(cross-design 1
  "src/sieve/hw/archs/ese/perf.cc: #include \"sieve/hw/archs/eie/perf.h\": design ese may not include design eie")
restore(hw/archs/ese/perf.cc)

file(REMOVE_RECURSE "${work}")
list(LENGTH failures n)
if(n GREATER 0)
  foreach(f IN LISTS failures)
    message(NOTICE "FAILED ${f}")
  endforeach()
  message(FATAL_ERROR "check_layers_test: ${n} case(s) failed")
endif()
message(STATUS "check_layers_test: all cases passed")
