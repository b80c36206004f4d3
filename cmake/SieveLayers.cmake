# Reads the table of parts (cmake/sieve_parts.cmake, or SIEVE_PARTS_FILE) and answers questions about it. Included
# by CMakeLists.txt (to build one library per part) and by cmake/check_layers.cmake (to check
# the includes); it defines no target, so it works in script mode (cmake -P) too.
#
# After include(): SIEVE_PARTS (bottom to top), SIEVE_PART_<part>_FOLDERS,
# SIEVE_PART_<part>_DEPS, SIEVE_LAYER_EXCEPTIONS ("<file>|<include>" pairs).

set(SIEVE_PARTS "")
set(SIEVE_LAYER_EXCEPTIONS "")

# sieve_part(<name> FOLDERS <folder>... [DEPS <part>...]): a part of src/sieve. Its DEPS must be
# parts listed before it, so the table is a DAG by construction.
macro(sieve_part _sp_name)
  cmake_parse_arguments(_sp "" "" "FOLDERS;DEPS" ${ARGN})
  if("${_sp_name}" IN_LIST SIEVE_PARTS)
    message(FATAL_ERROR "cmake/sieve_parts.cmake: part ${_sp_name} is listed twice")
  endif()
  if(NOT _sp_FOLDERS)
    message(FATAL_ERROR "cmake/sieve_parts.cmake: part ${_sp_name} has no FOLDERS")
  endif()
  foreach(_sp_dep IN LISTS _sp_DEPS)
    if(NOT _sp_dep IN_LIST SIEVE_PARTS)
      message(FATAL_ERROR "cmake/sieve_parts.cmake: part ${_sp_name} depends on ${_sp_dep}, "
                          "which is not a part listed above it (parts are listed bottom to top)")
    endif()
  endforeach()
  list(APPEND SIEVE_PARTS ${_sp_name})
  set(SIEVE_PART_${_sp_name}_FOLDERS ${_sp_FOLDERS})
  set(SIEVE_PART_${_sp_name}_DEPS ${_sp_DEPS})
endmacro()

# sieve_layer_exception(<file> INCLUDES <include>): `#include "<include>"` in src/sieve/<file>
# is accepted although it goes up the layers.
macro(sieve_layer_exception _sle_file)
  cmake_parse_arguments(_sle "" "INCLUDES" "" ${ARGN})
  if(NOT _sle_INCLUDES)
    message(FATAL_ERROR "cmake/sieve_parts.cmake: sieve_layer_exception(${_sle_file}) needs "
                        "INCLUDES <include>")
  endif()
  list(APPEND SIEVE_LAYER_EXCEPTIONS "${_sle_file}|${_sle_INCLUDES}")
endmacro()

# sieve_part_of(<path> <out>): the part of src/sieve/<path> (the part with the longest folder
# holding it), or "" when no part holds it.
function(sieve_part_of path out)
  set(best "")
  set(best_len -1)
  foreach(part IN LISTS SIEVE_PARTS)
    foreach(folder IN LISTS SIEVE_PART_${part}_FOLDERS)
      string(LENGTH "${folder}" len)
      string(FIND "${path}" "${folder}/" pos)
      if(pos EQUAL 0 AND len GREATER best_len)
        set(best ${part})
        set(best_len ${len})
      endif()
    endforeach()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

# sieve_part_reach(<part> <out>): the parts <part> may include: itself and every part reachable
# through DEPS.
function(sieve_part_reach part out)
  set(reach ${part})
  set(todo ${part})
  while(todo)
    list(POP_FRONT todo p)
    foreach(d IN LISTS SIEVE_PART_${p}_DEPS)
      if(NOT d IN_LIST reach)
        list(APPEND reach ${d})
        list(APPEND todo ${d})
      endif()
    endforeach()
  endwhile()
  set(${out} ${reach} PARENT_SCOPE)
endfunction()

# SIEVE_PARTS_FILE: another table (the tests of the check use one); default: the table.
if(NOT SIEVE_PARTS_FILE)
  set(SIEVE_PARTS_FILE ${CMAKE_CURRENT_LIST_DIR}/sieve_parts.cmake)
endif()
include(${SIEVE_PARTS_FILE})
