#include "cli/supervisor.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <string>

#include "cli/commands.h"

namespace stratrun {
namespace {

using SteadyClock = std::chrono::steady_clock;

/// In a supervised server: the write end of the pipe to the supervisor; -1 elsewhere.
int g_news_fd = -1;

// What a server tells its supervisor, one byte each (kExiting is followed by the code).
constexpr char kServing = 'R';
constexpr char kExiting = 'E';

void Tell(const char* bytes, size_t size) noexcept {
  if (g_news_fd < 0) return;
  while (size > 0) {
    const ssize_t n = write(g_news_fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

/// What a server said before it ended.
struct ServerNews {
  bool serving = false;
  std::optional<int> exit_code;  // the deliberate exit it announced
};

/// Reads what the server wrote (the read end is non-blocking: a process the server forked
/// may still hold the write end).
ServerNews ReadNews(int fd) {
  ServerNews news;
  std::string bytes;
  char buffer[64];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == kServing) news.serving = true;
    if (bytes[i] == kExiting && i + 1 < bytes.size()) news.exit_code = static_cast<unsigned char>(bytes[++i]);
  }
  return news;
}

/// A socket bound to host:port that never listens, or -1 (with a message printed).
/// `port` becomes the bound port (the one picked when 0 was asked). SO_REUSEADDR, not
/// SO_REUSEPORT: Linux lets the server bind and listen beside a bound socket that does
/// not listen when both set SO_REUSEADDR, but refuses a second server while one listens —
/// SO_REUSEPORT would let two servers share the port silently.
int ReservePort(const std::string& host, uint16_t& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "stratrun: cannot listen on %s:%u: %s\n", host.c_str(), port, gai_strerror(rc));
    return -1;
  }
  const int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const int on = 1;
  const bool bound = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
                     bind(fd, found->ai_addr, found->ai_addrlen) == 0;
  const int error = errno;
  freeaddrinfo(found);
  if (!bound) {
    std::fprintf(stderr, "stratrun: cannot listen on %s:%u: %s\n", host.c_str(), port, std::strerror(error));
    if (fd >= 0) close(fd);
    return -1;
  }
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  return fd;
}

std::string DescribeEnd(int status) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    const char* name = sigabbrev_np(signal);
    return "killed by signal " + std::to_string(signal) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "exited with code " + std::to_string(WEXITSTATUS(status)) +
         " without being asked to (a plugin ending the process is a crash)";
}

int ExitCodeOf(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// Set by ServerExit: the exit about to happen is the server's own.
std::atomic<bool> g_exiting_on_purpose{false};

/// Runs first among the exit handlers (registered last, once serving): an exit the server
/// did not decide (a plugin's exit()) ends the process at once with its code, before any
/// static object is destroyed under the threads still working.
void EndAtOnceUnlessOnPurpose(int status, void*) {
  if (!g_exiting_on_purpose.load()) _exit(status);
}

}  // namespace

void NotifySupervisorServing() noexcept {
  Tell(&kServing, 1);
  on_exit(EndAtOnceUnlessOnPurpose, nullptr);
}

int ServerExit(int exit_code) noexcept {
  g_exiting_on_purpose.store(true);
  const char bytes[] = {kExiting, static_cast<char>(exit_code)};
  Tell(bytes, sizeof bytes);
  return exit_code;
}

std::optional<int> Supervise(const std::string& host, uint16_t& port) {
  const int reserved = ReservePort(host, port);
  if (reserved < 0) return kExitUsage;

  sigset_t watched, previous;
  sigemptyset(&watched);
  sigaddset(&watched, SIGINT);
  sigaddset(&watched, SIGTERM);
  sigaddset(&watched, SIGCHLD);
  sigprocmask(SIG_BLOCK, &watched, &previous);
  const pid_t supervisor = getpid();

  std::deque<SteadyClock::time_point> crashes;  // of servers that never served
  auto pause = std::chrono::milliseconds(250);
  for (;;) {
    int news[2];
    if (pipe2(news, O_CLOEXEC) != 0) {
      std::fprintf(stderr, "stratrun: cannot start the server: %s\n", std::strerror(errno));
      close(reserved);
      return kExitRunFailed;
    }
    std::fflush(nullptr);
    const pid_t server = fork();
    if (server < 0) {
      std::fprintf(stderr, "stratrun: cannot start the server: %s\n", std::strerror(errno));
      close(news[0]);
      close(news[1]);
      close(reserved);
      return kExitRunFailed;
    }
    if (server == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != supervisor) _exit(kExitRunFailed);  // the supervisor died before the line above
      close(reserved);
      close(news[0]);
      g_news_fd = news[1];
      sigprocmask(SIG_SETMASK, &previous, nullptr);
      return std::nullopt;
    }
    close(news[1]);
    fcntl(news[0], F_SETFL, O_NONBLOCK);

    const auto started = SteadyClock::now();
    bool stopping = false;
    int status = 0;
    for (;;) {
      siginfo_t info{};
      if (sigwaitinfo(&watched, &info) < 0) continue;  // EINTR
      if (info.si_signo == SIGCHLD) {
        if (waitpid(server, &status, WNOHANG) == server) break;
        continue;
      }
      stopping = true;
      kill(server, info.si_signo);  // graceful shutdown: the server says what it does
    }

    const ServerNews told = ReadNews(news[0]);
    close(news[0]);
    // Only an exit the server announced is deliberate; with a stop asked for, whatever
    // ended it is the end. Anything else is a crash, whatever the exit code.
    const bool deliberate = told.exit_code && WIFEXITED(status) && WEXITSTATUS(status) == *told.exit_code;
    if (deliberate || stopping) {
      close(reserved);
      return ExitCodeOf(status);
    }

    const auto now = SteadyClock::now();
    if (!told.serving) {
      crashes.push_back(now);
      while (!crashes.empty() && now - crashes.front() > kCrashWindow) crashes.pop_front();
      if (crashes.size() >= static_cast<size_t>(kMaxCrashes)) {
        std::fprintf(stderr, "stratrun: the server %s before it served; %d such crashes within %lld s, giving up\n",
                     DescribeEnd(status).c_str(), kMaxCrashes, static_cast<long long>(kCrashWindow.count()));
        close(reserved);
        return kExitRunFailed;
      }
    }
    if (now - started > kCrashWindow) pause = std::chrono::milliseconds(250);
    std::fprintf(stderr, "stratrun: the server %s; starting it again in %lld ms\n", DescribeEnd(status).c_str(),
                 static_cast<long long>(pause.count()));

    // Pause, unless asked to stop meanwhile.
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(pause);
    const timespec wait{.tv_sec = seconds.count(),
                        .tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(pause - seconds).count()};
    const auto resume = SteadyClock::now() + pause;
    while (SteadyClock::now() < resume) {
      const int signal = sigtimedwait(&watched, nullptr, &wait);
      if (signal == SIGINT || signal == SIGTERM) {
        close(reserved);
        return kExitOk;
      }
      if (signal < 0 && errno == EAGAIN) break;
    }
    pause = std::min(pause * 2, std::chrono::milliseconds(8000));
  }
}

}  // namespace stratrun
