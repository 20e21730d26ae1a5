// Work a renderer hands to the core that must wait until the pipeline's
// objects are in the target (installing Helm releases). It runs on the
// pipeline's sink's target with the sink's identity: the core asks the sink
// (TargetAccess, capabilities.hpp) and passes the Target in, so a renderer
// never connects anywhere with keys of its own.
#pragma once

#include <string>

#include "driftless/capabilities.hpp"
#include "driftless/plugin.hpp"

namespace driftless {

/// Created by a renderer (RenderResult::after_apply); its library stays loaded
/// for as long as it lives. Must not throw.
class AfterApply {
 public:
  virtual ~AfterApply();
  /// One line for logs ("helm releases of 3 HelmRelease objects").
  virtual std::string describe() const = 0;
  /// In SinkMode::apply does the work on `target`; in SinkMode::diff only
  /// reports what it would change. Changes name what they touched
  /// ("HelmRelease/ns/name"); error diagnostics mean the work was not (fully)
  /// done. `target.kind` is the factory's after_apply_target().
  virtual SinkReport run(Context& context, const Target& target, SinkMode mode) = 0;
};

}  // namespace driftless
