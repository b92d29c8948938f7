// Reading and damaging files behind a program's back, for the tests of how
// storage files are created and refused (storage and multi-process tests).
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <sys/stat.h>

#include <doctest/doctest.h>

namespace caf_cluster::test_files {

/// Returns the permission bits of `file`, failing the test if it is missing.
inline unsigned mode_of(const std::string& file) {
  struct stat st;
  REQUIRE_MESSAGE(::stat(file.c_str(), &st) == 0, file << " is missing");
  return st.st_mode & 0777;
}

/// Returns the whole content of `file` (empty if it cannot be read).
inline std::string bytes_of(const std::string& file) {
  std::ifstream in{file, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Writes `bytes` over `file` at `offset`, in place.
inline void overwrite(const std::string& file, std::streamoff offset,
                      const std::string& bytes) {
  std::fstream out{file, std::ios::binary | std::ios::in | std::ios::out};
  out.seekp(offset);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace caf_cluster::test_files
