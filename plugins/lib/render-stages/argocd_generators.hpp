// Argo CD's ApplicationSet generators that need nothing but the pipeline's
// own repository and the config: list, git (directories, files), clusters
// (the argocd stage's `clusters`), and the matrix and merge generators that
// combine them, each with an optional label `selector` over its parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "argocd_parameters.hpp"
#include "argocd_stage.hpp"
#include "driftless/artifact.hpp"

namespace driftless::renderers {

class Generators {
 public:
  /// `artifact` is the pipeline's snapshot the git generator reads, `clusters`
  /// what the clusters generator lists; `go`: spec.goTemplate.
  Generators(ObjectFields& fields, const Artifact& artifact, const std::vector<ArgocdCluster>& clusters, bool go)
      : fields_(fields), artifact_(artifact), clusters_(clusters), go_(go) {}

  /// The parameters `generator` (an entry of spec.generators, named `at`) makes; errors go to the fields.
  std::vector<Parameters> run(const Value& generator, const std::string& at) { return run(generator, at, 0); }

 private:
  std::vector<Parameters> run(const Value& generator, const std::string& at, int depth);
  std::vector<Parameters> list(const Value& spec, const std::string& at);
  std::vector<Parameters> git(const Value& spec, const std::string& at);
  std::vector<Parameters> clusters(const Value& spec, const std::string& at);
  // Adds the generator's `values` to each set: values.<key>, each a template over the set's other parameters.
  void add_values(const Value& spec, const std::string& at, std::vector<Parameters>& sets);
  std::vector<Parameters> matrix(const Value& spec, const std::string& at, int depth);
  std::vector<Parameters> merge(const Value& spec, const std::string& at, int depth);
  std::vector<Parameters> select(std::vector<Parameters> all, const Value& selector, const std::string& at);
  void read_parameter_file(const std::string& path, const std::string& prefix, const std::string& at,
                           std::vector<Parameters>& out);
  // The children of a matrix or merge, each named `at`.generators[i].
  const Array& children(const Value& spec, const std::string& at, std::size_t at_least);

  ObjectFields& fields_;
  const Artifact& artifact_;
  const std::vector<ArgocdCluster>& clusters_;
  const bool go_;
  // The artifact's files (true) and folders (false), listed once however
  // often a matrix runs the git generator; nullopt: too many to look at.
  std::map<bool, std::optional<std::vector<std::string>>> listed_;
};

}  // namespace driftless::renderers
