# Debian's libpqxx-dev (libpqxx 6.4) ships a pkg-config file but no CMake
# package config, so we locate its header and library by hand and expose the
# imported target PQXX::pqxx, which brings libpq (PostgreSQL::PostgreSQL from
# CMake's own FindPostgreSQL) along.
include(FindPackageHandleStandardArgs)

find_path(PQXX_INCLUDE_DIR pqxx/pqxx)
find_library(PQXX_LIBRARY pqxx)
find_package(PostgreSQL QUIET)

if(PQXX_INCLUDE_DIR AND EXISTS "${PQXX_INCLUDE_DIR}/pqxx/version.hxx")
  file(STRINGS "${PQXX_INCLUDE_DIR}/pqxx/version.hxx" _pqxx_version_line
       REGEX "^#define PQXX_VERSION \"[0-9.]+\"")
  string(REGEX REPLACE "^#define PQXX_VERSION \"([0-9.]+)\".*" "\\1"
         PQXX_VERSION "${_pqxx_version_line}")
endif()

find_package_handle_standard_args(PQXX
  REQUIRED_VARS PQXX_INCLUDE_DIR PQXX_LIBRARY PostgreSQL_FOUND
  VERSION_VAR PQXX_VERSION)

if(PQXX_FOUND AND NOT TARGET PQXX::pqxx)
  add_library(PQXX::pqxx UNKNOWN IMPORTED)
  set_target_properties(PQXX::pqxx PROPERTIES
    IMPORTED_LOCATION "${PQXX_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PQXX_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES PostgreSQL::PostgreSQL)
endif()
mark_as_advanced(PQXX_INCLUDE_DIR PQXX_LIBRARY)
