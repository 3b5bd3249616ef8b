# Include-direction check (a CTest test; run as cmake -DROOT=<source dir> -P check_includes.cmake).
# Fails, listing every offending line, when a file under
#   hq/        includes terminal/...
#   terminal/  includes hq/...
#   domain/    includes terminal/, hq/ or sync/...
#   sync/      includes terminal/ or hq/...
#   common/    includes terminal/, hq/, sync/ or domain/...
if(NOT ROOT)
  message(FATAL_ERROR "check_includes.cmake: pass -DROOT=<source dir>")
endif()
set(rules
  "hq|terminal"
  "terminal|hq"
  "domain|terminal,hq,sync"
  "sync|terminal,hq"
  "common|terminal,hq,sync,domain")
set(violations "")
set(checked 0)
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 folder)
  list(GET parts 1 forbidden)
  string(REPLACE "," "|" forbidden "${forbidden}")
  file(GLOB_RECURSE files "${ROOT}/${folder}/*.cpp" "${ROOT}/${folder}/*.hpp" "${ROOT}/${folder}/*.hpp.in")
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<](${forbidden})/")
    foreach(line IN LISTS lines)
      file(RELATIVE_PATH relative "${ROOT}" "${file}")
      string(STRIP "${line}" line)
      list(APPEND violations "${relative}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "check_includes.cmake: no source files under ${ROOT}")
endif()
if(violations)
  list(LENGTH violations count)
  list(JOIN violations "\n  " listed)
  message(FATAL_ERROR "layering: ${count} include(s) across the boundaries (what both programs need belongs in "
                      "domain/):\n  ${listed}")
endif()
message(STATUS "layering: ${checked} files checked, no include crosses hq/ <-> terminal/")
