#include "caf_cluster/storage/sqlite_file_mode.hpp"

#include <cstdio>

#include <sys/stat.h>

namespace caf_cluster::storage {

std::vector<std::string> exposed_sqlite_files(const std::string& path) {
  std::vector<std::string> result;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto file = path + suffix;
    struct stat st;
    if (::stat(file.c_str(), &st) != 0)
      continue;
    auto mode = st.st_mode & 0777;
    if ((mode & (S_IRWXG | S_IRWXO)) == 0)
      continue;
    char text[8];
    std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode));
    result.push_back(file + " (mode " + text + ")");
  }
  return result;
}

} // namespace caf_cluster::storage
