// The validated config block of one kube sink (keys in sink_kube.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "cluster.hpp"
#include "status_object.hpp"

namespace driftless::kube {

enum class DriftMode { heal, report, off };

struct Settings {
  ClusterSettings cluster;          ///< where and as whom: kubeconfig, context, impersonate, requestTimeout
  std::string namespace_name;       ///< for namespaced objects without one; "" = the context's, else "default"
  std::string inventory_namespace;  ///< "" = namespace_name
  std::string lease_namespace;      ///< "" = the inventory's namespace
  bool force = true;
  bool prune = true;
  bool allow_empty = false;
  bool wait = true;
  bool create_namespaces = false;  ///< create namespaces objects need that neither render nor cluster has
  std::vector<std::string> declared_contexts;  ///< contexts declared pipelines may apply to (narrow())
  bool keep_flux_objects = false;   ///< apply Flux and Argo CD objects instead of refusing them (control_plane.hpp)
  std::size_t concurrency = 32;
  std::chrono::milliseconds health_timeout{5 * 60 * 1000};
  DriftMode drift = DriftMode::heal;
  StatusObject status_object;       ///< where a failed run shows Ready=False; unset: nowhere
};

}  // namespace driftless::kube
