// stratrun_pg_cluster start|stop DIR — the PostgreSQL server ctest's "postgres" fixture
// shares among all tests (tests/CMakeLists.txt). `start` leaves a server running with its
// socket in DIR (replacing one an earlier run left there); `stop` ends it and removes DIR.
// Exit 0 on success; otherwise 1, with the reason (and the server's log) on stderr.
#include <cstdio>
#include <string_view>

#include "support/pg_cluster.h"

int main(int argc, char** argv) {
  using stratrun::testing::PgCluster;
  if (argc != 3 || (std::string_view(argv[1]) != "start" && std::string_view(argv[1]) != "stop")) {
    std::fprintf(stderr, "usage: %s start|stop DIR\n", argv[0]);
    return 2;
  }
  const bool start = std::string_view(argv[1]) == "start";
  const stratrun::Status status = start ? PgCluster::StartAt(argv[2]) : PgCluster::StopAt(argv[2]);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 1;
  }
  std::printf("PostgreSQL test server %s (socket folder %s)\n", start ? "started" : "stopped", argv[2]);
  return 0;
}
