// A plugin that needs a symbol no loaded library provides.
#include <driftless/export.hpp>

int function_that_exists_nowhere();

namespace {
class Factory : public driftless::RendererFactory {
 public:
  std::vector<driftless::ConfigKey> config_keys() const override { return {}; }
  driftless::Result<std::unique_ptr<driftless::Renderer>> create(const driftless::Value&) const override {
    return driftless::fail(driftless::ErrorCode::internal, std::to_string(function_that_exists_nowhere()));
  }
};
}  // namespace
DRIFTLESS_PLUGIN(Factory, "unresolved", "renderer", "1.0.0", "links against nothing")
