#include "multiprocess/http_client.hpp"

#include <fstream>
#include <sstream>

#include "multiprocess/process.hpp"

namespace caf_cluster::multiprocess {

http_answer http_request(const std::string& method, const std::string& url,
                         const std::string& body, const std::string& bearer,
                         std::vector<std::string> headers, int max_seconds) {
  std::vector<std::string> args{
    "-s", "-i", "--max-time", std::to_string(max_seconds), "-X", method};
  if (!bearer.empty())
    headers.push_back("Authorization: Bearer " + bearer);
  for (auto& h : headers)
    args.insert(args.end(), {"-H", h});
  temp_dir dir;
  if (!body.empty()) {
    auto file = dir.file("body");
    std::ofstream{file, std::ios::binary} << body;
    args.insert(args.end(),
                {"-H", "Content-Type: application/json", "--data-binary",
                 "@" + file});
  }
  args.push_back(url);
  auto res = run("/usr/bin/curl", args, std::chrono::seconds{max_seconds + 5});
  http_answer answer;
  auto& out = res.out;
  // A 100 Continue comes first for large bodies.
  size_t start = 0;
  while (out.compare(start, 12, "HTTP/1.1 100") == 0) {
    auto next = out.find("\r\n\r\n", start);
    if (next == std::string::npos)
      break;
    start = next + 4;
  }
  auto split = out.find("\r\n\r\n", start);
  if (split == std::string::npos)
    return answer;
  answer.headers = out.substr(start, split - start);
  answer.body = out.substr(split + 4);
  std::istringstream first{answer.headers};
  std::string version;
  first >> version >> answer.status;
  return answer;
}

} // namespace caf_cluster::multiprocess
