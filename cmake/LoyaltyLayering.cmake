# The layering both programs rely on, enforced:
#   - at configure time, loyalty_forbid_links(): a target's whole link closure must not contain the
#     libraries named (head office links no till library, the till links nothing of head office);
#   - in the test suite, check_includes.cmake (a CTest test): no file under hq/ includes terminal/,
#     none under terminal/ includes hq/, and domain/, common/, sync/ include neither.

# Every CMake target `target` links, directly or through other targets (private dependencies of
# static libraries included: they reach the final link as $<LINK_ONLY:...>).
function(loyalty_link_closure target out)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    if(NOT TARGET ${current} OR current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(type ${current} TYPE)
    set(deps "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND deps ${direct})
      endif()
    endif()
    get_target_property(interface ${current} INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND deps ${interface})
    endif()
    foreach(dep IN LISTS deps)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
      list(APPEND queue ${dep})
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target})
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# Fails the configuration when `target` links any of the FORBIDDEN targets, naming the path.
function(loyalty_forbid_links target)
  cmake_parse_arguments(arg "" "" "FORBIDDEN" ${ARGN})
  loyalty_link_closure(${target} closure)
  foreach(forbidden IN LISTS arg_FORBIDDEN)
    if(forbidden IN_LIST closure)
      message(FATAL_ERROR "layering: ${target} links ${forbidden} (its link closure: ${closure}); "
                          "move what both need into domain/ (loyalty_domain) instead")
    endif()
  endforeach()
endfunction()
