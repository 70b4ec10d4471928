#include "isolation/worker_process.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/logging.h"

extern char** environ;

namespace stratrun {
namespace fs = std::filesystem;
namespace {

constexpr int kControlFd = 3, kMemFd = 4, kDataFd = 5, kSpaceFd = 6;
/// Where the parent's ends are moved before spawning, so that no source fd is one of the
/// child's fixed numbers (a dup2 onto itself would keep FD_CLOEXEC).
constexpr int kFirstParkedFd = 10;
constexpr int kWorkerNice = 10;  // see WorkerPool::Loop
// A replacement's start-up (~10 ms of CPU: exec and the dynamic loader) waits this long
// after a take, so that it does not compete with the start of the run it replaces.
constexpr auto kRefillDelay = std::chrono::milliseconds(15);

Status Errno(const std::string& what) { return Internal(what + ": " + std::strerror(errno)); }

/// Closes the fds it holds unless released.
struct FdList {
  std::vector<int> fds;
  ~FdList() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int Add(int fd) {
    fds.push_back(fd);
    return fd;
  }
};

int Park(int fd) { return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, kFirstParkedFd); }

/// The server's environment. In AddressSanitizer builds (the tests'), the sanitizer is told
/// to leave fatal signals alone in workers, so that a plugin's crash ends its worker by the
/// signal itself, as in a release build, instead of by ASan's report and exit(1).
std::vector<std::string> WorkerEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
#if defined(__SANITIZE_ADDRESS__)
  constexpr const char* kLeaveSignals = "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0";
  auto asan = std::find_if(env.begin(), env.end(), [](const std::string& e) { return e.starts_with("ASAN_OPTIONS="); });
  if (asan == env.end()) {
    env.push_back(std::string("ASAN_OPTIONS=") + kLeaveSignals);
  } else {
    *asan += std::string(":") + kLeaveSignals;
  }
#endif
  return env;
}

}  // namespace

fs::path StratrunExecutable() {
  std::error_code ec;
  static const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return exe;
}

WorkerProcess::~WorkerProcess() {
  Kill();
  Wait();
  for (int fd : {pidfd_, control_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void WorkerProcess::Kill() {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, SIGKILL);  // its group: whatever it started too
}

bool WorkerProcess::Exited() const {
  if (reaped_) return true;
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
}

int WorkerProcess::Wait() {
  if (reaped_ || pid_ <= 0) return wait_status_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 0;
      break;
    }
  }
  reaped_ = true;
  wait_status_ = status;
  ::kill(-pid_, SIGKILL);  // what it left running in its group ends with it
  return status;
}

Result<std::unique_ptr<WorkerProcess>> SpawnWorker(const WorkerOptions& options, const std::vector<std::string>& args,
                                                   bool with_ring) {
  FdList owned;  // the parent's copies of the child's ends, closed once it started
  auto worker = std::unique_ptr<WorkerProcess>(new WorkerProcess);

  int control[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) return Errno("socketpair");
  worker->control_fd_ = Park(control[0]);
  ::close(control[0]);
  const int child_control = owned.Add(Park(control[1]));
  ::close(control[1]);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Errno("pipe");
  worker->stdout_fd_ = Park(out[0]);
  const int child_out = owned.Add(Park(out[1]));
  ::close(out[0]);
  ::close(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return Errno("pipe");
  worker->stderr_fd_ = Park(err[0]);
  const int child_err = owned.Add(Park(err[1]));
  ::close(err[0]);
  ::close(err[1]);
  for (int fd : {worker->control_fd_, worker->stdout_fd_, worker->stderr_fd_, child_control, child_out, child_err}) {
    if (fd < 0) return Errno("fcntl");
  }
  ::fcntl(worker->stdout_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(worker->stderr_fd_, F_SETFL, O_NONBLOCK);
  int ring_fds[3] = {-1, -1, -1};
  if (with_ring) {
    auto ring = SharedRing::Create(options.ring_bytes);
    if (!ring) return ring.status();
    worker->ring_ = std::move(*ring);
    ring_fds[0] = owned.Add(Park(worker->ring_->memfd()));
    ring_fds[1] = owned.Add(Park(worker->ring_->data_fd()));
    ring_fds[2] = owned.Add(Park(worker->ring_->space_fd()));
    for (int fd : ring_fds) {
      if (fd < 0) return Errno("fcntl");
    }
  }

  const fs::path exe = options.executable.empty() ? StratrunExecutable() : options.executable;
  std::vector<std::string> argv_text{exe.string(), "worker"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  argv_text.insert(argv_text.end(), {"--parent", std::to_string(::getpid())});
  if (options.limits.memory_mb > 0) argv_text.insert(argv_text.end(), {"--memory-mb", std::to_string(options.limits.memory_mb)});
  if (options.limits.deny_network) argv_text.insert(argv_text.end(), {"--sandbox", "no-network"});
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = WorkerEnvironment();
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, child_err, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, child_control, kControlFd);
  if (with_ring) {
    posix_spawn_file_actions_adddup2(&actions, ring_fds[0], kMemFd);
    posix_spawn_file_actions_adddup2(&actions, ring_fds[1], kDataFd);
    posix_spawn_file_actions_adddup2(&actions, ring_fds[2], kSpaceFd);
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, kSpaceFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);  // the server blocks SIGINT/SIGTERM in every thread
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Internal("cannot start a worker (" + exe.string() + "): " + std::strerror(rc));
  worker->pid_ = pid;
  worker->pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (worker->pidfd_ >= 0) ::fcntl(worker->pidfd_, F_SETFD, FD_CLOEXEC);
  return worker;
}

// ---- the pool ------------------------------------------------------------------------

WorkerPool::WorkerPool(WorkerOptions options, size_t idle)
    : options_(std::move(options)), target_idle_(idle), thread_([this] { Loop(); }) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WorkerPool::Loop() {
  auto log = Logger("isolation");
  // Every worker is started from this thread and inherits its nice value: plugins (and the
  // start-up of the next idle worker) yield the CPU to the server's own threads.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kWorkerNice) != 0) {
    log->warn("cannot lower the workers' priority: {}", std::strerror(errno));
  }
  std::unique_lock lock(mutex_);
  auto retry_after = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    if (!requests_.empty()) {
      Request request = std::move(requests_.front());
      requests_.pop_front();
      lock.unlock();
      request.done(SpawnWorker(options_, request.args, request.with_ring));
      lock.lock();
      continue;
    }
    const auto not_before = std::max(retry_after, refill_at_);
    if (idle_.size() < target_idle_ && std::chrono::steady_clock::now() >= not_before) {
      lock.unlock();
      auto worker = SpawnWorker(options_, {"--serve"}, true);
      lock.lock();
      if (worker) {
        idle_.push_back(std::move(*worker));
      } else {
        log->error("cannot keep an idle worker: {}", worker.status().message());
        retry_after = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
      continue;
    }
    if (idle_.size() < target_idle_) {
      wake_.wait_until(lock, not_before);
    } else {
      wake_.wait(lock);
    }
  }
  std::deque<std::unique_ptr<WorkerProcess>> idle = std::move(idle_);
  std::deque<Request> requests = std::move(requests_);
  lock.unlock();
  idle.clear();  // kills and reaps each
  for (auto& request : requests) request.done(Status(StatusCode::kFailedPrecondition, "the worker pool stopped"));
}

Result<std::unique_ptr<WorkerProcess>> WorkerPool::Spawn(std::vector<std::string> args, bool with_ring) {
  auto promise = std::make_shared<std::promise<Result<std::unique_ptr<WorkerProcess>>>>();
  auto future = promise->get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Status(StatusCode::kFailedPrecondition, "the worker pool stopped");
    requests_.push_back({std::move(args), with_ring, [promise](auto result) { promise->set_value(std::move(result)); }});
  }
  wake_.notify_all();
  return future.get();
}

Result<std::unique_ptr<WorkerProcess>> WorkerPool::TakeRunWorker() {
  {
    std::lock_guard lock(mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<WorkerProcess> worker = std::move(idle_.front());
      idle_.pop_front();
      if (worker->Exited()) continue;  // killed from outside while idle: destroyed here
      const auto now = std::chrono::steady_clock::now();
      if (refill_at_ <= now) refill_at_ = now + kRefillDelay;
      wake_.notify_all();  // start its replacement, after kRefillDelay
      return worker;
    }
  }
  wake_.notify_all();
  return Spawn({"--serve"}, true);
}

}  // namespace stratrun
