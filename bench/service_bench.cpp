// service_bench — the execution service under load, client and server on loopback:
//   1. start latency: POST /api/strategies/execute → its `started` event received over SSE,
//      with spaced arrivals (a free slot) and back to back;
//   2. fan-out: N SSE subscribers on one run emitting R events/s — every event delivered?
//      emit→receive latency percentiles (the paced plugin stamps each event's send time
//      from CLOCK_MONOTONIC; the receiver reads the same clock), twice: subscribed to the
//      queued run before it starts, and subscribing while it runs;
//   3. stuck clients: M subscribers that never read while a run emits; the server's RSS.
//
//   service_bench [--subscribers 500] [--rate 1000] [--seconds 5] [--stuck 100] [--starts 200]
//                 [--isolation process|none]   (as `serve` takes it; default process)
//
// The server is the real `stratrun serve` in its own process (its path is built in).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

long Arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// One request, whole answer (the body after the head; Content-Length bodies only).
std::string Request(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "") {
  const int fd = Connect(port);
  if (fd < 0) return "";
  const std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
    const size_t head = raw.find("\r\n\r\n");
    if (head == std::string::npos) continue;
    const size_t cl = raw.find("Content-Length: ");
    if (cl != std::string::npos && cl < head) {
      const size_t length = std::stoul(raw.substr(cl + 16));
      if (raw.size() >= head + 4 + length) {
        ::close(fd);
        return raw.substr(head + 4, length);
      }
    }
  }
  ::close(fd);
  return "";
}

std::string RunIdOf(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc.IsObject() && doc.HasMember("run_id") ? doc["run_id"].GetString() : "";
}

struct Server {
  pid_t pid = -1;
  uint16_t port = 0;
};

Server StartServer(const fs::path& work, const std::string& isolation) {
  const fs::path data = work / "data", db = work / "runs.db", out = work / "server.out";
  std::vector<std::string> args{STRATRUN_BENCH_BINARY, "--plugin-cache", (work / "cache").string(), "--plugins",
                                fs::path(STRATRUN_BENCH_PACED_PLUGIN).parent_path().string(), "serve", "--port", "0",
                                "--db", db.string(), "--data", data.string(), "--queue-size", "1000",
                                "--max-concurrent", "1",  // so that a run can be held in the queue
                                "--isolation", isolation,
                                "--no-restart"};  // the pid is the server itself, whose RSS is measured
  if (!fs::exists(data)) {
    const std::string synth = std::string(STRATRUN_BENCH_BINARY) + " data synth --out " + data.string() + " --tickers 20 --days 300";
    if (std::system(synth.c_str()) != 0) std::exit(1);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Server server;
  posix_spawn(&server.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int i = 0; i < 200 && server.port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const size_t at = text.find("listening on http://127.0.0.1:");
    if (at != std::string::npos) server.port = static_cast<uint16_t>(std::stoi(text.substr(at + 30)));
  }
  return server;
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

/// An SSE subscriber driven by epoll: accumulates bytes, extracts `data:` lines.
struct Subscriber {
  int fd = -1;
  std::string buffer;
  size_t events = 0;
  bool greeted = false;  // the stream's retry hint arrived
  bool done = false;
};

std::string SseRequest(const std::string& run_id) {
  return "GET /api/strategies/sse/" + run_id + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
}

/// How the measured starts arrive.
enum class Arrivals {
  kBackToBack,  // each POST as soon as the previous `started` arrived (its run may still be ending)
  kSpaced,      // each POST 20 ms after the previous run ended: a free slot and a refilled pool
};

void StartLatency(uint16_t port, int starts, Arrivals arrivals) {
  std::vector<double> ms;
  for (int i = 0; i < starts; ++i) {
    const auto t0 = SteadyClock::now();
    const std::string run_id =
        RunIdOf(Request(port, "POST", "/api/strategies/execute",
                        R"({"strategy_code":"paced","parameters":{"events":1,"rate_per_second":1000}})"));
    const int fd = Connect(port);
    const std::string req = SseRequest(run_id);
    (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string raw;
    char buf[8192];
    auto read_until = [&](std::string_view what) {
      while (raw.find(what) == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        raw.append(buf, static_cast<size_t>(n));
      }
    };
    read_until("event: started");
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    if (arrivals == Arrivals::kSpaced) {
      read_until("event: completed");  // the stream ends with the run's terminal event
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::close(fd);
  }
  std::printf("start latency (POST /execute → `started` received over a new SSE connection), %d runs, %s:\n", starts,
              arrivals == Arrivals::kSpaced ? "each 20 ms after the previous run ended"
                                            : "back to back (each as soon as the previous started)");
  std::printf("  p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms\n", Percentile(ms, 50), Percentile(ms, 90),
              Percentile(ms, 99), Percentile(ms, 100));
}

/// When the subscribers of the fan-out join their run.
enum class Join {
  kBeforeStart,   // all subscribed to the queued run, then it starts: every event measured
  kWhileRunning,  // they connect while it emits: each first gets the run so far (replay)
};

void FanOut(uint16_t port, int subscribers, int rate, int seconds, Join join) {
  const int events = rate * seconds;
  const std::string paced = R"({"strategy_code":"paced","parameters":{"events":)";
  // The server runs one run at a time (--max-concurrent 1): a blocker holds the worker
  // while the measured run waits in the queue.
  std::string blocker;
  if (join == Join::kBeforeStart) {
    blocker = RunIdOf(Request(port, "POST", "/api/strategies/execute", paced + R"(10000000,"rate_per_second":1000}})"));
  }
  const std::string run_id = RunIdOf(Request(port, "POST", "/api/strategies/execute",
                                             paced + std::to_string(events) + R"(,"rate_per_second":)" +
                                                 std::to_string(rate) + "}}"));
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Subscriber> subs(static_cast<size_t>(subscribers));
  for (size_t i = 0; i < subs.size(); ++i) {
    subs[i].fd = Connect(port);
    const std::string req = SseRequest(run_id);
    (void)!::send(subs[i].fd, req.data(), req.size(), MSG_NOSIGNAL);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
  }
  std::vector<epoll_event> ready(256);
  char buf[65536];
  if (join == Join::kBeforeStart) {
    // Every stream is open (its retry hint arrived) before the run may start.
    size_t greeted = 0;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
    while (greeted < subs.size() && SteadyClock::now() < deadline) {
      const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 200);
      for (int k = 0; k < n; ++k) {
        Subscriber& s = subs[ready[static_cast<size_t>(k)].data.u64];
        const ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
        if (got > 0) s.buffer.append(buf, static_cast<size_t>(got));
        if (!s.greeted && s.buffer.find("retry:") != std::string::npos) {
          s.greeted = true;
          ++greeted;
        }
      }
    }
    Request(port, "POST", "/api/strategies/runs/" + blocker + "/cancel", "");
  }
  const int64_t all_connected_ns = NowNs();
  std::vector<double> latency_ms, steady_ms;  // events sent after all connected; a further 1 s later
  latency_ms.reserve(static_cast<size_t>(subscribers) * static_cast<size_t>(events));
  const int64_t steady_from_ns = all_connected_ns + 1'000'000'000;
  size_t done = 0;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(seconds * 3 + 30);
  while (done < subs.size() && SteadyClock::now() < deadline) {
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 200);
    const int64_t now = NowNs();
    for (int k = 0; k < n; ++k) {
      Subscriber& s = subs[ready[static_cast<size_t>(k)].data.u64];
      const ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        if (!s.done) ++done;
        s.done = true;
        ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
        continue;
      }
      s.buffer.append(buf, static_cast<size_t>(got));
      // Each complete `"sent_ns":<number>` is one delivered ticker_completed event.
      size_t pos = 0, consumed = 0;
      while ((pos = s.buffer.find("\"sent_ns\":", pos)) != std::string::npos) {
        const size_t end = s.buffer.find_first_of(",}", pos + 10);
        if (end == std::string::npos) break;  // the number is cut: wait for more bytes
        const int64_t sent = static_cast<int64_t>(std::strtod(s.buffer.c_str() + pos + 10, nullptr));
        ++s.events;
        if (sent > all_connected_ns) {
          latency_ms.push_back(static_cast<double>(now - sent) / 1e6);
          if (sent > steady_from_ns) steady_ms.push_back(latency_ms.back());
        }
        pos = consumed = end;
      }
      if (!s.done && s.buffer.find("event: completed", consumed) != std::string::npos) {
        s.done = true;
        ++done;
      }
      s.buffer.erase(0, std::max(consumed, s.buffer.size() > 64 ? s.buffer.size() - 64 : 0));
    }
  }
  size_t complete = 0;
  for (auto& s : subs) {
    complete += s.events == static_cast<size_t>(events);
    ::close(s.fd);
  }
  ::close(ep);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf("fan-out: %d SSE subscribers on one run emitting %d events/s for %d s (%d events), %s:\n",
              subscribers, rate, seconds, events,
              join == Join::kBeforeStart ? "all subscribed before it starts"
                                         : "subscribing while it runs (each first replays the run so far)");
  std::printf("  subscribers that received every event: %zu of %d\n", complete, subscribers);
  std::printf("  emit→receive latency, %s: %zu deliveries, p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              join == Join::kBeforeStart ? "every event" : "events sent after all connected", latency_ms.size(),
              Percentile(latency_ms, 50), Percentile(latency_ms, 99), Percentile(latency_ms, 100));
  std::printf("  (events sent 1 s after that: %zu deliveries, p50 %.2f ms  p99 %.2f ms)\n", steady_ms.size(),
              Percentile(steady_ms, 50), Percentile(steady_ms, 99));
  std::printf("  CPU used by this client process so far: %.1f s user + %.1f s system\n",
              static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6,
              static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6);
}

void Stuck(uint16_t port, pid_t server, int stuck, int rate, int seconds) {
  const int events = rate * seconds;
  const long before = RssKb(server);
  const std::string run_id = RunIdOf(Request(
      port, "POST", "/api/strategies/execute",
      R"({"strategy_code":"paced","parameters":{"events":)" + std::to_string(events) + R"(,"rate_per_second":)" +
          std::to_string(rate) + "}}"));
  std::vector<int> fds;
  for (int i = 0; i < stuck; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const std::string req = SseRequest(run_id);
      (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    }
    fds.push_back(fd);  // never read
  }
  long peak = before;
  for (int t = 0; t < seconds * 4; ++t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    peak = std::max(peak, RssKb(server));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long after = RssKb(server);
  for (int fd : fds) ::close(fd);
  std::printf("stuck clients: %d subscribers that never read, run emitting %d events/s for %d s:\n", stuck, rate, seconds);
  std::printf("  server RSS before %ld KiB, peak %ld KiB, after the run %ld KiB\n", before, peak, after);
}

}  // namespace

int main(int argc, char** argv) {
  const int subscribers = static_cast<int>(Arg(argc, argv, "--subscribers", 500));
  const int rate = static_cast<int>(Arg(argc, argv, "--rate", 1000));
  const int seconds = static_cast<int>(Arg(argc, argv, "--seconds", 5));
  const int stuck = static_cast<int>(Arg(argc, argv, "--stuck", 100));
  const int starts = static_cast<int>(Arg(argc, argv, "--starts", 200));
  const fs::path work = fs::temp_directory_path() / ("stratrun-service-bench-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::string isolation = "process";  // --isolation process|none, as `serve` takes it
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--isolation") isolation = argv[i + 1];
  }
  std::printf("server isolation: %s\n", isolation.c_str());
  Server server = StartServer(work, isolation);
  if (server.port == 0) {
    std::fprintf(stderr, "the server did not start (see %s/server.out)\n", work.c_str());
    return 1;
  }
  std::printf("server pid %d on port %u\n", server.pid, server.port);
  StartLatency(server.port, starts, Arrivals::kSpaced);
  StartLatency(server.port, starts, Arrivals::kBackToBack);
  FanOut(server.port, subscribers, rate, seconds, Join::kBeforeStart);
  FanOut(server.port, subscribers, rate, seconds, Join::kWhileRunning);
  Stuck(server.port, server.pid, stuck, rate, seconds * 2);
  ::kill(server.pid, SIGTERM);
  int status = 0;
  ::waitpid(server.pid, &status, 0);
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
