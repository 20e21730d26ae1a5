// How long realistic manifests take to become objects: our parser
// (parse_manifests, what every renderer uses) against libyaml's bare event
// parser on the same text (no tree at all: the floor), side by side in one
// process, for one large file and for many small ones; yaml-cpp loads the
// large file too, as the design guide's baseline. The manifests are what real
// repositories hold: quoted images and URLs (double-quoted scalars with "/"),
// annotations, a block scalar, flow mappings. Prints times and ratios.
//
//   build/bin/bench_yaml_parse [DEPLOYMENTS=10000] [RUNS=3]
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "driftless/toolkit/manifests.hpp"

namespace {

std::string deployment(int i) {
  const std::string n = std::to_string(i);
  const std::string team = "team-" + std::to_string(i % 50);
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-" + n + "\n  namespace: " + team +
         "\n  labels:\n    app.kubernetes.io/name: app-" + n + "\n    app.kubernetes.io/part-of: \"shop\"\n" +
         "  annotations:\n    prometheus.io/scrape: \"true\"\n    prometheus.io/path: \"/metrics\"\n" +
         "    link.argocd.argoproj.io/external-link: \"https://grafana.example.com/d/app?var-namespace=" + team + "\"\n" +
         "    description: |\n      Serves the shop's app-" + n + " API.\n      Owned by " + team + ".\n" +
         "spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-" + n +
         "\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-" + n +
         "\n    spec:\n      containers:\n        - name: app\n          image: \"registry.example.com/" + team + "/app-" + n +
         ":1.2.3\"\n          args: [\"--port=8080\", \"--upstream=http://backend." + team + ".svc:8080/api\"]\n" +
         "          env:\n            - name: OTEL_EXPORTER_OTLP_ENDPOINT\n"
         "              value: \"http://otel-collector.observability.svc:4317\"\n"
         "          ports:\n            - {name: http, containerPort: 8080, protocol: TCP}\n"
         "          readinessProbe:\n            httpGet: {path: \"/healthz\", port: 8080}\n"
         "          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n"
         "            limits: {cpu: \"1\", memory: 256Mi}\n";
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

std::size_t ours(const std::vector<std::string>& files) {
  std::size_t objects = 0;
  for (const auto& text : files) objects += driftless::parse_manifests(text, "manifests.yaml").objects.size();
  return objects;
}

std::size_t events(const std::vector<std::string>& files) {
  std::size_t documents = 0;
  for (const auto& text : files) documents += libyaml_events(text);
  return documents;
}

std::size_t bytes(const std::vector<std::string>& files) {
  std::size_t total = 0;
  for (const auto& text : files) total += text.size();
  return total;
}

// Times both parsers on `files`; false when ours misses an object.
bool compare(const char* title, const std::vector<std::string>& files, int expected, int runs) {
  std::size_t objects = 0, documents = 0;
  const Timing driftless = best_of(runs, [&] { objects = ours(files); });
  const Timing libyaml = best_of(runs, [&] { documents = events(files); });
  std::printf("%s: %zu file(s), %.1f MB; best of %d runs, wall (cpu)\n", title, files.size(),
              static_cast<double>(bytes(files)) / 1e6, runs);
  std::printf("  driftless parse_manifests: %.3f s (%.3f s), %zu objects\n", driftless.wall, driftless.cpu, objects);
  std::printf("  libyaml events only:       %.3f s (%.3f s), %zu documents\n", libyaml.wall, libyaml.cpu, documents);
  std::printf("  driftless / libyaml events: %.2fx (cpu)\n", driftless.cpu / libyaml.cpu);
  return objects == static_cast<std::size_t>(expected);
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;

  std::vector<std::string> one_file(1);
  std::vector<std::string> small_files;
  for (int i = 0; i < count; ++i) {
    const std::string text = deployment(i);
    one_file[0] += "---\n" + text;
    small_files.push_back(text);
  }

  bool ok = compare("one large file", one_file, count, runs);
  ok = compare("many small files", small_files, count, runs) && ok;

  std::size_t yaml_cpp_documents = 0;
  const Timing yaml_cpp = best_of(runs, [&] { yaml_cpp_documents = YAML::LoadAll(one_file[0]).size(); });
  std::printf("yaml-cpp YAML::LoadAll, one large file: %.3f s (%.3f s), %zu documents\n", yaml_cpp.wall, yaml_cpp.cpu,
              yaml_cpp_documents);
  return ok ? 0 : 1;
}
