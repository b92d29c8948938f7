// A fresh directory per test for database files, removed with everything in
// it when the test ends, so runs never see each other's files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace caf_cluster::storage::test {

/// A uniquely named directory under the system's temporary directory that
/// lives as long as this object.
class temp_dir {
public:
  temp_dir() {
    auto pattern
      = (std::filesystem::temp_directory_path() / "caf_cluster_storage_XXXXXX")
          .string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;

  temp_dir& operator=(const temp_dir&) = delete;

  /// Returns the directory.
  const std::filesystem::path& path() const noexcept {
    return path_;
  }

  /// Returns the path of `name` inside the directory.
  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

} // namespace caf_cluster::storage::test
