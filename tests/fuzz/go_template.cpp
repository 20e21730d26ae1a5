// The Go template actions of Argo CD ApplicationSets (a repository's text)
// on arbitrary bytes, over parameters like the git generator's: an answer or
// an error, never a crash, and never more than the functions' bound.
#include <cstdint>
#include <cstdlib>

#include "plugins/lib/render-stages/go_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using driftless::Value;
  static const Value parameters = [] {
    driftless::Object path;
    path.set("path", "apps/team-a/web");
    path.set("basename", "web");
    path.set("segments", Value(driftless::Array{Value("apps"), Value("team-a"), Value("web")}));
    driftless::Object all;
    all.set("path", Value(std::move(path)));
    all.set("name", "in-cluster");
    all.set("replicas", Value(std::int64_t{3}));
    return Value(std::move(all));
  }();
  const std::string_view action(reinterpret_cast<const char*>(data), size);
  auto value = driftless::renderers::evaluate_action(action, parameters);
  if (value.ok() && value->is_string() && value->as_string().size() > (2u << 20)) std::abort();
  return 0;
}
