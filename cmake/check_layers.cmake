# The layering check: every `#include "sieve/..."` in src/sieve must name a file of the same
# part or of a part below (cmake/sieve_parts.cmake), or be one of the table's listed exceptions.
#
#   cmake [-DSIEVE_SRC=<folder holding sieve/>] [-DSIEVE_PARTS_FILE=<table>] [-DSTAMP=<file>]
#         -P cmake/check_layers.cmake
#
# SIEVE_SRC defaults to this repository's src/, SIEVE_PARTS_FILE to cmake/sieve_parts.cmake.
# Exit status 0 when the includes follow the layers (then STAMP, when given, is touched: the
# build's check_layers step), 1 otherwise, with one line per offending include naming the
# file, the include and both parts. Run by the
# `layers` test and by every build; tests/layers/check_layers_test.cmake checks that it fails
# on a back-edge.
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/SieveLayers.cmake)

if(NOT SIEVE_SRC)
  set(SIEVE_SRC ${CMAKE_CURRENT_LIST_DIR}/../src)
endif()
get_filename_component(root "${SIEVE_SRC}/sieve" ABSOLUTE)
if(NOT IS_DIRECTORY "${root}")
  message(FATAL_ERROR "check_layers: ${root} is not a folder")
endif()

set(problems "")
foreach(part IN LISTS SIEVE_PARTS)
  foreach(folder IN LISTS SIEVE_PART_${part}_FOLDERS)
    if(NOT IS_DIRECTORY "${root}/${folder}")
      list(APPEND problems "cmake/sieve_parts.cmake: folder src/sieve/${folder} of part ${part} does not exist")
    endif()
  endforeach()
  sieve_part_reach(${part} reach_${part})
endforeach()

file(GLOB_RECURSE files RELATIVE "${root}" "${root}/*.h" "${root}/*.cc" "${root}/*.def"
     "${root}/*.inc")
list(SORT files)
set(used_exceptions "")
set(n_includes 0)
foreach(file IN LISTS files)
  sieve_part_of("${file}" from)
  if(NOT from)
    list(APPEND problems "src/sieve/${file}: in no part (add its folder to cmake/sieve_parts.cmake)")
    continue()
  endif()
  file(STRINGS "${root}/${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"sieve/[^\"]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"sieve/([^\"]*)\".*$" "\\1" inc "${line}")
    math(EXPR n_includes "${n_includes} + 1")
    sieve_part_of("${inc}" to)
    if(NOT to)
      list(APPEND problems "src/sieve/${file}: #include \"sieve/${inc}\": no part holds sieve/${inc}")
    elseif(file MATCHES "^hw/archs/([^/]+)/" AND inc MATCHES "^hw/archs/([^/]+)/")
      # Between two design folders: never (what two designs share lives in hw/core).
      string(REGEX REPLACE "^hw/archs/([^/]+)/.*$" "\\1" design "${file}")
      string(REGEX REPLACE "^hw/archs/([^/]+)/.*$" "\\1" base "${inc}")
      if(NOT design STREQUAL base)
        list(APPEND problems
             "src/sieve/${file}: #include \"sieve/${inc}\": design ${design} may not include design ${base} (what two designs share belongs in hw/core)")
      endif()
    elseif(NOT to IN_LIST reach_${from})
      if("${file}|sieve/${inc}" IN_LIST SIEVE_LAYER_EXCEPTIONS)
        list(APPEND used_exceptions "${file}|sieve/${inc}")
      else()
        list(JOIN reach_${from} ", " may)
        list(APPEND problems
             "src/sieve/${file}: #include \"sieve/${inc}\": part ${from} may not include part ${to} (${from} may include: ${may})")
      endif()
    endif()
  endforeach()
endforeach()

foreach(e IN LISTS SIEVE_LAYER_EXCEPTIONS)
  if(NOT e IN_LIST used_exceptions)
    string(REPLACE "|" ": #include \"" e "${e}")
    message(NOTICE "check_layers: the exception src/sieve/${e}\" (cmake/sieve_parts.cmake) is "
                   "no longer needed: delete it")
  endif()
endforeach()

list(LENGTH files n_files)
list(LENGTH problems n_problems)
if(n_problems GREATER 0)
  foreach(p IN LISTS problems)
    message(NOTICE "${p}")
  endforeach()
  message(FATAL_ERROR "check_layers: ${n_problems} problem(s) with the layers of "
                      "cmake/sieve_parts.cmake (docs/ARCHITECTURE.md, \"Layers\")")
endif()
message(STATUS "check_layers: ${n_includes} includes in ${n_files} files follow the layers")
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
