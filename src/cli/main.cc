// ipvsadm for ipvsd: picks the daemon's socket, connects (ipvsadm's ipvs_init()), and hands
// the command line to Ipvsadm, which behaves as ipvsadm 1.31 does against kernel IPVS.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/ipvsadm.h"

int main(int argc, char** argv) {
  using namespace ipvsd;
  std::vector<std::string> args(argv, argv + argc);
  cli::SocketChoice socket = cli::ExtractSocketPath(args, std::getenv("IPVSD_SOCKET"));
  if (!socket.error.empty()) {
    std::fprintf(stderr, "%s\n", socket.error.c_str());
    return 2;
  }
  auto client = ctl::Client::Connect(socket.path);
  auto info = client ? client->GetInfo() : Result<ctl::InfoReply>(client.error());
  if (!info) {
    std::fputs(cli::InitFailureText(info.error().code, socket.path).c_str(), stderr);
    return 2;
  }
  cli::Ipvsadm app(std::move(client).value(), *info, stdin, stdout, stderr);
  return app.Main(args);
}
