#include "chart_spec.hpp"

#include <algorithm>

#include "driftless/toolkit/semver.hpp"

namespace driftless::helm_chart {
namespace {

Result<std::string> repository_url(const std::string& url) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    return fail(ErrorCode::invalid_input, "url '" + url.substr(0, 200) + "' is not an http:// or https:// Helm repository "
                                          "(an OCI registry's chart is the oci source with layerSelector.mediaType "
                                          "application/vnd.cncf.helm.chart.content.v1.tar+gzip)");
  const auto host = url.substr(url.find("://") + 3);
  if (host.substr(0, host.find('/')).find('@') != std::string::npos)
    return fail(ErrorCode::invalid_input, "url must not carry credentials before '@'; give them in auth (username, passwordFile)");
  return url;
}

// A chart name as Helm allows it: it becomes the folder the chart is unpacked into.
Result<std::string> chart_name(const std::string& name) {
  const bool valid = !name.empty() && name != "." && name != ".." && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
  if (!valid) return fail(ErrorCode::invalid_input, "chart '" + name.substr(0, 200) + "' is not a chart name (letters, digits, '-', '_', '.')");
  return name;
}

Result<std::string> version_range(const std::string& version) {
  if (auto range = SemVerRange::parse(version); !range.ok())
    return fail(ErrorCode::invalid_input, "version '" + version + "': " + range.error().message);
  return version;
}

}  // namespace

const SettingsSchema<ChartSpec>& chart_schema() {
  static const auto schema =
      SettingsSchema<ChartSpec>()
          .key(ConfigKey("url", ConfigType::string, "The Helm repository, as `helm repo add` takes it: https://charts.example.com.")
                   .required(),
               &ChartSpec::url, repository_url)
          .key(ConfigKey("chart", ConfigType::string, "The chart's name in the repository's index; the snapshot holds it in a "
                                                      "folder of that name.")
                   .required(),
               &ChartSpec::chart, chart_name)
          .key(ConfigKey("version", ConfigType::string,
                         "One version (looked up once), or a range followed at every fetch: '^1.2', '>=1.0.0 <2.0.0', '*'.")
                   .default_to("*"),
               &ChartSpec::version, version_range)
          .block(ConfigKey("auth", ConfigType::object,
                           "Basic auth for a private repository, sent to its own origin only; secrets are read at every fetch."),
                 &ChartSpec::auth, basic_auth_schema(), checked_basic_auth)
          .key(ConfigKey("timeout", ConfigType::duration, "Limit for each request to the repository.").default_to(std::int64_t{60000}),
               &ChartSpec::timeout)
          .key(ConfigKey("maxIndexSize", ConfigType::integer, "Most bytes of the repository's index.yaml.")
                   .default_to(std::int64_t{50} << 20),
               &ChartSpec::max_index_bytes, Minimum::at_least(1))
          .key(ConfigKey("maxChartSize", ConfigType::integer, "Most bytes of the chart archive.").default_to(std::int64_t{10} << 20),
               &ChartSpec::max_chart_bytes, Minimum::at_least(1))
          .key(ConfigKey("maxTotalSize", ConfigType::integer, "Most bytes unpacked from the chart archive.")
                   .default_to(std::int64_t{100} << 20),
               &ChartSpec::max_total_bytes, Minimum::at_least(1))
          .key(ConfigKey("maxEntries", ConfigType::integer, "Most entries (files, folders) of the chart archive.")
                   .default_to(std::int64_t{10000}),
               &ChartSpec::max_entries, Minimum::at_least(1))
          .key(ConfigKey("keepSnapshots", ConfigType::integer, "How many chart versions to keep on disk.").default_to(std::int64_t{3}),
               &ChartSpec::keep_snapshots, Minimum::at_least(1));
  return schema;
}

Result<ChartSpec> parse_chart_spec(const Value& config) {
  auto spec = chart_schema().read(config);
  if (!spec.ok()) return spec.error();
  spec->exact = SemVer::parse(spec->version).has_value();
  return spec;
}

}  // namespace driftless::helm_chart
