// Declares kind "sink" but its factory makes renderers.
#include <driftless/export.hpp>

namespace {
class Factory : public driftless::RendererFactory {
 public:
  std::vector<driftless::ConfigKey> config_keys() const override { return {}; }
  driftless::Result<std::unique_ptr<driftless::Renderer>> create(const driftless::Value&) const override {
    return driftless::fail(driftless::ErrorCode::internal, "never");
  }
};
}  // namespace
DRIFTLESS_PLUGIN(Factory, "confused", "sink", "1.0.0", "wrong kind")
