// How long 10,000 Deployments (about 6 MB of YAML) take to become objects:
// our parser (parse_manifests, what every renderer uses) against yaml-cpp
// loading the same text, side by side in one process, with libyaml's bare
// event parser (no tree at all) as the floor. Prints the times and ratios.
//
//   build/bin/bench_yaml_parse [DEPLOYMENTS] [RUNS]
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "driftless/manifests.hpp"

namespace {

std::string deployments(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    out += "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-" + n + "\n  namespace: team-" +
           std::to_string(i % 50) + "\n  labels:\n    app.kubernetes.io/name: app-" + n +
           "\n    tier: backend\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-" + n +
           "\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-" + n +
           "\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app-" + n +
           ":1.2.3\n          args: [--port=8080, --metrics]\n          ports:\n"
           "            - {name: http, containerPort: 8080, protocol: TCP}\n"
           "          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n"
           "            limits: {cpu: \"1\", memory: 256Mi}\n";
  }
  return out;
}

// Best wall-clock and best CPU time of `runs` runs; CPU time (this process
// only) moves less than wall time on a machine other jobs share.
struct Timing {
  double wall = 1e9;
  double cpu = 1e9;
};

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

template <class F>
Timing best_of(int runs, F&& f) {
  Timing best;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_now();
    f();
    best.cpu = std::min(best.cpu, cpu_now() - cpu_start);
    best.wall = std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// Every event of the stream, built into nothing.
std::size_t libyaml_events(const std::string& text) {
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::size_t documents = 0;
  for (;;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) break;
    const auto type = event.type;
    if (type == YAML_DOCUMENT_START_EVENT) ++documents;
    yaml_event_delete(&event);
    if (type == YAML_STREAM_END_EVENT) break;
  }
  yaml_parser_delete(&parser);
  return documents;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string text = deployments(count);

  std::size_t ours_objects = 0;
  const Timing ours = best_of(runs, [&] {
    auto result = driftless::parse_manifests(text, "deployments.yaml");
    ours_objects = result.objects.size();
  });
  std::size_t yaml_cpp_documents = 0;
  const Timing yaml_cpp = best_of(runs, [&] { yaml_cpp_documents = YAML::LoadAll(text).size(); });

  std::size_t events_documents = 0;
  const Timing events = best_of(runs, [&] { events_documents = libyaml_events(text); });

  std::printf("input: %d Deployments, %.1f MB; best of %d runs, wall (cpu)\n", count,
              static_cast<double>(text.size()) / 1e6, runs);
  std::printf("driftless parse_manifests: %.3f s (%.3f s), %zu objects\n", ours.wall, ours.cpu, ours_objects);
  std::printf("yaml-cpp YAML::LoadAll:    %.3f s (%.3f s), %zu documents\n", yaml_cpp.wall, yaml_cpp.cpu, yaml_cpp_documents);
  std::printf("libyaml events only:       %.3f s (%.3f s), %zu documents\n", events.wall, events.cpu, events_documents);
  std::printf("ratio yaml-cpp / driftless: %.1fx; driftless / bare libyaml events: %.1fx (cpu)\n", yaml_cpp.cpu / ours.cpu,
              ours.cpu / events.cpu);
  return ours_objects == static_cast<std::size_t>(count) ? 0 : 1;
}
