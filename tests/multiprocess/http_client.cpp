#include "multiprocess/http_client.hpp"

#include <sstream>
#include <vector>

#include "multiprocess/process.hpp"

namespace caf_cluster::multiprocess {

http_reply fetch(const std::string& url, const std::string& bearer,
                 const std::string& method) {
  std::vector<std::string> args{"-s", "-i", "--max-time", "5", "-X", method};
  if (!bearer.empty())
    args.insert(args.end(), {"-H", "Authorization: Bearer " + bearer});
  args.push_back(url);
  auto res = run("/usr/bin/curl", args, 10s);
  http_reply reply;
  auto& out = res.out;
  auto split = out.find("\r\n\r\n");
  if (split == std::string::npos)
    return reply;
  reply.headers = out.substr(0, split);
  reply.body = out.substr(split + 4);
  std::istringstream first{reply.headers};
  std::string version;
  first >> version >> reply.status;
  return reply;
}

} // namespace caf_cluster::multiprocess
