#include "daemon/daemon.hpp"

#include <httplib.h>
#include <malloc.h>

#include <csignal>
#include <fstream>

#include "log/logging.hpp"

namespace driftless::core {
namespace {

std::string read_secret(const std::string& file) {
  std::ifstream in(file);
  std::string secret;
  std::getline(in, secret);
  return secret;
}

std::int64_t change_count(const PipelineRun& run, ChangeAction action) {
  std::int64_t n = 0;
  for (const auto& c : run.sink.changes) n += c.action == action;
  return n;
}

// Drift events the dashboard can show, for all pipelines together.
constexpr std::size_t kRecentDrift = 1000;
// How much of the audit log's end is read for a pipeline's recent reconciles.
constexpr std::streamoff kAuditTail = 4 * 1024 * 1024;

}  // namespace

Daemon::Daemon(Session& session) : session_(session) {}

Daemon::Generation::~Generation() {
  // Work in flight finishes first (on SIGTERM it was told to stop at its next
  // safe point); then watches and other long work end. The
  // watches are over before the scheduler they report drift to goes away, and
  // leases are kept until nothing of this replica acts any more. A reload keeps
  // them: the next generation renews them under the same identity.
  if (scheduler) scheduler->stop();
  stop = true;
  if (engine) engine->stop_watches();
  if (scheduler) scheduler->step_down(release_leases);
}

std::unique_ptr<Daemon::Generation> Daemon::make_generation(Config config) {
  auto g = std::make_unique<Generation>();
  g->config = std::move(config);
  g->engine = std::make_unique<Engine>(g->config, session_.registry, session_.engine_options(&g->stop));
  SchedulerOptions scheduler_options;
  scheduler_options.concurrency = g->config.concurrency;
  scheduler_options.state_dir = session_.state_dir;
  g->scheduler = std::make_unique<Scheduler>(*g->engine, g->config, metrics_, scheduler_options);
  g->scheduler->on_run([this](const PipelineRun& run, const PipelineStatus& before, const PipelineStatus& after) {
    on_run(run, before, after);
  });
  g->scheduler->on_drift([this](const std::string& pipeline, const std::string& reason, bool healed) {
    std::lock_guard lock(drift_mutex_);
    drift_.push_back({++drift_sequence_, std::chrono::system_clock::now(), pipeline, reason, healed});
    if (drift_.size() > kRecentDrift) drift_.pop_front();
  });
  return g;
}

int Daemon::run() {
#ifdef __GLIBC__
  // glibc gives each thread that allocates (workers, one per drift watch) a
  // malloc arena of its own, and every arena keeps what it freed; two arenas
  // keep a daemon that manages 10,000 objects small.
  mallopt(M_ARENA_MAX, 2);
#endif
  // Signals are taken synchronously by this thread; workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Logger& log = process_logger();
  const Config& config = *session_.config;
  audit_path_ = config.audit_log.empty() ? session_.state_dir / "audit.log" : std::filesystem::path(config.audit_log);
  std::error_code ec;
  std::filesystem::create_directories(session_.state_dir, ec);
  std::filesystem::create_directories(audit_path_.parent_path(), ec);

  HttpApi api(*this);
  if (auto started = api.start(config.listen); !started.ok()) {
    log.error(started.error().message);
    return 1;
  }
  generation_ = make_generation(config);
  generation_->scheduler->start();
  log.info("driftless is running", {{"pipelines", std::to_string(config.pipelines.size())},
                                     {"listen", config.listen.substr(0, config.listen.rfind(':') + 1) + std::to_string(api.port())},
                                     {"state_dir", session_.state_dir.string()}});
  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      reload();
      continue;
    }
    log.info("stopping: finishing the work in flight", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  api.stop();
  std::unique_ptr<Generation> last;
  {
    std::lock_guard lock(mutex_);
    last = std::move(generation_);
  }
  // Work in flight stops at its next safe point — between apply stages, in a
  // health wait, a running tool — and prunes nothing, so a stop never waits
  // for a health timeout; what was written stays recorded in the inventory.
  last->stop = true;
  last->release_leases = true;
  last.reset();  // outside the lock: work in flight still writes the audit log
  log.info("driftless stopped");
  return 0;
}

bool Daemon::reload() {
  Logger& log = process_logger();
  ConfigLoad load = load_valid_config(session_.config_file, session_.registry);
  if (!load.config || has_errors(load.diagnostics)) {
    for (const auto& d : load.diagnostics) log.error("the new config is refused: " + format(d));
    log.error("config reload refused; the running config stays in force", {{"config", session_.config_file.string()}});
    return false;
  }
  if (load.config->listen != session_.config->listen || load.config->plugin_dirs != session_.config->plugin_dirs)
    log.warn("'listen' and 'pluginDirs' take effect only after a restart");
  auto next = make_generation(std::move(*load.config));
  std::unique_ptr<Generation> old;
  {
    std::lock_guard lock(mutex_);
    old = std::move(generation_);
    generation_ = std::move(next);
  }
  {
    std::lock_guard no_diff(diff_mutex_);
    old.reset();  // finishes its work in flight (which may write the audit log), then ends
  }
  {
    std::lock_guard lock(mutex_);
    generation_->scheduler->start();
  }
  log.info("config reloaded", {{"config", session_.config_file.string()},
                               {"pipelines", std::to_string(generation_->config.pipelines.size())}});
  return true;
}

std::vector<PipelineStatus> Daemon::status() {
  std::lock_guard lock(mutex_);
  return generation_ ? generation_->scheduler->status() : std::vector<PipelineStatus>{};
}

std::optional<ReplicaStatus> Daemon::replica() {
  std::lock_guard lock(mutex_);
  return generation_ ? generation_->scheduler->replica() : std::nullopt;
}

bool Daemon::ready() {
  std::lock_guard lock(mutex_);
  return generation_ && generation_->scheduler->ready();
}

bool Daemon::reconcile(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  return generation_ && generation_->scheduler->reconcile_now(pipeline, "requested through the API");
}

bool Daemon::suspend(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  return generation_ && generation_->scheduler->suspend(pipeline);
}

bool Daemon::resume(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  return generation_ && generation_->scheduler->resume(pipeline);
}

ApiSpec Daemon::api() {
  std::lock_guard lock(mutex_);
  return generation_ ? generation_->config.api : session_.config->api;
}

Result<PipelineRun> Daemon::diff(const std::string& pipeline) {
  // The generation stays while its scheduler diffs: a reload waits for the diff.
  std::lock_guard in_use(diff_mutex_);
  Scheduler* scheduler = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!generation_) return fail(ErrorCode::unavailable, "starting");
    scheduler = generation_->scheduler.get();
  }
  return scheduler->diff(pipeline, std::chrono::seconds(30));
}

std::vector<DriftEvent> Daemon::drift() {
  std::lock_guard lock(drift_mutex_);
  return {drift_.begin(), drift_.end()};
}

std::vector<Value> Daemon::recent_runs(const std::string& pipeline, std::size_t count) {
  std::string tail;
  {
    std::lock_guard lock(mutex_);
    std::ifstream in(audit_path_, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const std::streamoff size = in.tellg();
    const std::streamoff start = std::max<std::streamoff>(0, size - kAuditTail);
    in.seekg(start);
    tail.resize(static_cast<std::size_t>(size - start));
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    tail.resize(static_cast<std::size_t>(in.gcount()));
    if (start > 0) tail.erase(0, tail.find('\n') + 1);  // a partial first line
  }
  std::deque<Value> runs;
  std::size_t begin = 0;
  while (begin < tail.size()) {
    std::size_t end = tail.find('\n', begin);
    if (end == std::string::npos) end = tail.size();
    const std::string_view line(tail.data() + begin, end - begin);
    begin = end + 1;
    // Cheap test first: most lines are other pipelines'.
    if (line.find(pipeline) == std::string_view::npos) continue;
    auto parsed = parse_json(line);
    if (!parsed.ok() || parsed->string_or("pipeline") != pipeline) continue;
    runs.push_back(std::move(*parsed));
    if (runs.size() > count) runs.pop_front();
  }
  return {std::make_move_iterator(runs.begin()), std::make_move_iterator(runs.end())};
}

WebhookVerdict Daemon::webhook(const std::string& name, const std::function<std::string(const std::string&)>& header,
                               const std::string& body) {
  std::lock_guard lock(mutex_);
  if (!generation_) return {503, false, "starting"};
  for (const auto& hook : generation_->config.webhooks) {
    if (hook.name != name) continue;
    WebhookVerdict verdict = receive_webhook(hook, read_secret(hook.secret_file), header, body, deliveries_);
    process_logger().info("webhook", {{"hook", name}, {"status", std::to_string(verdict.status)}, {"result", verdict.message}});
    if (verdict.trigger) generation_->scheduler->fetch_now(hook.sources);
    return verdict;
  }
  return {404, false, "no webhook named '" + name + "'"};
}

void Daemon::on_run(const PipelineRun& run, const PipelineStatus& before, const PipelineStatus& after) {
  audit(run, after);
  Logger& log = process_logger();
  LogFields fields{{"pipeline", run.pipeline}, {"revision", run.revision}, {"duration_ms", std::to_string(run.duration.count())}};
  if (run.ok()) {
    log.info("reconciled", fields);
    if (before.state == "failed") notify("recovery", run, "recovered at " + run.revision);
    return;
  }
  for (const auto& e : after.errors) log.error(e, fields);
  if (before.state != "failed") notify("failure", run, after.errors.empty() ? "failed" : after.errors.front());
}

void Daemon::audit(const PipelineRun& run, const PipelineStatus& after) {
  Object line;
  line.set("time", iso_time(after.last_attempt));
  line.set("pipeline", run.pipeline);
  line.set("revision", run.revision);
  for (const char* key : {"author", "committer", "message"})
    if (auto it = run.metadata.find(key); it != run.metadata.end()) line.set(key, it->second);
  line.set("created", change_count(run, ChangeAction::created));
  line.set("changed", change_count(run, ChangeAction::configured));
  line.set("pruned", change_count(run, ChangeAction::pruned));
  line.set("result", run.ok() ? "success" : "failure");
  line.set("durationMs", static_cast<std::int64_t>(run.duration.count()));
  Array errors;
  for (const auto& e : after.errors) errors.emplace_back(e);
  line.set("errors", std::move(errors));
  std::lock_guard lock(mutex_);
  std::ofstream out(audit_path_, std::ios::app);
  out << to_json(Value(std::move(line))) << "\n";
}

void Daemon::notify(const std::string& event, const PipelineRun& run, const std::string& text) {
  std::vector<NotificationSpec> targets;
  {
    std::lock_guard lock(mutex_);
    if (generation_) targets = generation_->config.notifications;
  }
  for (const auto& target : targets) {
    Object body;
    const std::string summary = "driftless: pipeline " + run.pipeline + " " + event + ": " + text;
    if (target.format == "slack") {
      body.set("text", summary);
    } else {
      body.set("event", event);
      body.set("pipeline", run.pipeline);
      body.set("revision", run.revision);
      body.set("message", text);
    }
    // Split the URL into scheme+host and path for the client.
    const auto path_start = target.url.find('/', target.url.find("//") + 2);
    const std::string base = target.url.substr(0, path_start);
    const std::string path = path_start == std::string::npos ? "/" : target.url.substr(path_start);
    httplib::Client client(base);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    auto res = client.Post(path.c_str(), to_json(Value(std::move(body))), "application/json");
    if (!res || res->status >= 300)
      process_logger().warn("notification not delivered", {{"event", event}, {"status", res ? std::to_string(res->status) : "no answer"}});
  }
}

}  // namespace driftless::core
