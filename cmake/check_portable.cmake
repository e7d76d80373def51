# The portable build's guard (docs/portability.md): a target `check_portable`, built before every
# other one, that runs tools/check_portable.sh on what this build compiles and links, so that a
# Linux-only #include or library fails the build, not a later port. Included last by the
# top-level CMakeLists.txt, once every target exists.

# Every target defined in `dir` and below.
function(ipvsd_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    ipvsd_targets_below(${sub} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

ipvsd_targets_below(${PROJECT_SOURCE_DIR} all_targets)
set(manifest "")
set(checked_targets)
foreach(t ${all_targets})
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "UTILITY")
    continue()
  endif()
  list(APPEND checked_targets ${t})
  get_target_property(dir ${t} SOURCE_DIR)
  get_target_property(srcs ${t} SOURCES)
  foreach(s ${srcs})
    if(s MATCHES "\\.(c|cc|h)$")
      cmake_path(ABSOLUTE_PATH s BASE_DIRECTORY ${dir} OUTPUT_VARIABLE abs)
      string(APPEND manifest "source ${abs}\n")
    endif()
  endforeach()
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(libs ${t} ${prop})
    if(libs)
      foreach(l ${libs})
        string(APPEND manifest "link ${t} ${l}\n")
      endforeach()
    endif()
  endforeach()
endforeach()
set(manifest_file ${CMAKE_BINARY_DIR}/check_portable.list)
file(WRITE ${manifest_file} "${manifest}")

add_custom_target(check_portable ALL
                  COMMAND ${PROJECT_SOURCE_DIR}/tools/check_portable.sh ${PROJECT_SOURCE_DIR} ${manifest_file}
                  COMMENT "Checking that the portable build compiles and links nothing Linux-only"
                  VERBATIM)
foreach(t ${checked_targets})
  add_dependencies(${t} check_portable)
endforeach()
