# Install rules and the CMake package: each component installs its library and
# public headers into one export set (caf_cluster::<name>), and the package
# files written at the end let `find_package(caf_cluster 0.2 CONFIG)` import
# them, finding each component's third-party packages first.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CAF_CLUSTER_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/caf_cluster")

# caf_cluster_install_component(<name> [INCLUDE_ROOTS dirs...] [PACKAGES pkgs...])
# Installs caf_cluster_<name> and every .hpp under its include roots (default:
# the calling folder) except internal/ folders, which no public header may
# include (scripts/check-headers.sh). Each PACKAGES entry holds the arguments
# of one find_dependency() call, e.g. "CAF 0.17 COMPONENTS core io".
function(caf_cluster_install_component name)
  cmake_parse_arguments(arg "" "" "INCLUDE_ROOTS;PACKAGES" ${ARGN})
  set(target caf_cluster_${name})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  if(NOT CAF_CLUSTER_INSTALL)
    return()
  endif()
  if(NOT arg_INCLUDE_ROOTS)
    set(arg_INCLUDE_ROOTS ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  install(TARGETS ${target} EXPORT caf_cluster_targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  foreach(root IN LISTS arg_INCLUDE_ROOTS)
    install(DIRECTORY ${root}/caf_cluster DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            FILES_MATCHING PATTERN "*.hpp"
            PATTERN "internal" EXCLUDE)
  endforeach()
  set_property(GLOBAL APPEND PROPERTY CAF_CLUSTER_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY CAF_CLUSTER_PACKAGES_${name} ${arg_PACKAGES})
endfunction()

# caf_cluster_install_package(): called once, after every component, at the
# end of the top CMakeLists.txt. Writes the targets, config and version files.
function(caf_cluster_install_package)
  if(NOT CAF_CLUSTER_INSTALL)
    return()
  endif()
  get_property(components GLOBAL PROPERTY CAF_CLUSTER_COMPONENTS)
  # One line per component: its packages and the components it links, so
  # the config can find exactly what the requested components need.
  set(CAF_CLUSTER_COMPONENT_TABLE "set(_caf_cluster_components ${components})\n")
  foreach(name IN LISTS components)
    get_property(packages GLOBAL PROPERTY CAF_CLUSTER_PACKAGES_${name})
    set(quoted "")
    foreach(pkg IN LISTS packages)
      string(APPEND quoted " \"${pkg}\"")
    endforeach()
    get_target_property(links caf_cluster_${name} INTERFACE_LINK_LIBRARIES)
    set(uses "")
    foreach(link IN LISTS links)
      if(link MATCHES "^caf_cluster::([a-z_]+)$")
        string(APPEND uses " ${CMAKE_MATCH_1}")
      endif()
    endforeach()
    string(APPEND CAF_CLUSTER_COMPONENT_TABLE
           "set(_caf_cluster_${name}_packages${quoted})\n"
           "set(_caf_cluster_${name}_uses${uses})\n")
  endforeach()
  install(EXPORT caf_cluster_targets NAMESPACE caf_cluster::
          FILE caf_cluster-targets.cmake
          DESTINATION ${CAF_CLUSTER_INSTALL_CMAKEDIR})
  set(build_dir ${PROJECT_BINARY_DIR}/package)
  configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/caf_cluster-config.cmake.in
    ${build_dir}/caf_cluster-config.cmake
    INSTALL_DESTINATION ${CAF_CLUSTER_INSTALL_CMAKEDIR})
  # 0.x releases break the API between minor versions: 0.2 accepts 0.2.y only.
  write_basic_package_version_file(${build_dir}/caf_cluster-config-version.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  # Debian's CAF and libpqxx ship no CMake config: consumers find them with our
  # modules.
  install(FILES ${build_dir}/caf_cluster-config.cmake
                ${build_dir}/caf_cluster-config-version.cmake
                ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
                ${PROJECT_SOURCE_DIR}/cmake/FindPQXX.cmake
          DESTINATION ${CAF_CLUSTER_INSTALL_CMAKEDIR})
endfunction()
