// Flux's ArtifactGenerator (source.extensions.fluxcd.io) over the repository
// the pipeline reads, as flux2-kustomize-helm-example uses it: each generated
// ExternalArtifact is a selection of the repository's folders, and the
// Kustomizations name the artifact and a path inside it.
//
// driftless renders such a Kustomization from the repository's own folder, in
// place, so that kustomize's relative references (../base) resolve exactly as
// they do in the artifact. That is faithful when every copy operation keeps
// the folders where they are relative to one another (one common prefix
// stripped from every `from`) and the folder rendered holds no manifest the
// artifact leaves out; anything else is an error naming the operation or the
// files, never a silently different render.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driftless/artifact.hpp"
#include "driftless/object.hpp"
#include "driftless/result.hpp"
#include "path_patterns.hpp"

namespace driftless::renderers {

class ExternalArtifacts {
 public:
  /// Reads the ArtifactGenerators among `sources` (the Flux source objects of
  /// one render); its GitRepositories tell which aliases name the repository
  /// of `artifact`, the one the pipeline reads.
  ExternalArtifacts(const std::vector<KubeObject>& sources, const Artifact& artifact);

  /// "Kind/ns/name" of the generator of ExternalArtifact `id`
  /// ("ExternalArtifact/ns/name") and of the sources it copies from; none
  /// when no generator of the render makes it.
  std::vector<std::string> made_from(const std::string& id) const;

  /// The folder of the repository ('/'-separated, "" = root) that is `path`
  /// inside ExternalArtifact `id`; an error saying why it cannot be rendered in place.
  Result<std::string> folder(const std::string& id, const std::string& path) const;

 private:
  /// One copy operation: the files of `origin_dir` (all below it when
  /// `name_glob` is empty, else those directly in it whose name matches) go to
  /// the same place below the artifact's common prefix.
  struct Copy {
    std::string origin_dir;
    std::string name_glob;
    std::vector<PathPattern> excludes;
  };
  /// One generated ExternalArtifact.
  struct View {
    std::string generator;  ///< "ArtifactGenerator/ns/name"
    std::vector<std::string> inputs;  ///< "Kind/ns/name" of its spec.sources
    std::string shift;      ///< the folder of the repository the artifact's root is
    std::vector<Copy> copies;
    std::string problem;  ///< why it cannot be rendered in place; "" when it can
  };

  bool covered(const View& view, const std::string& file) const;

  std::filesystem::path root_;
  std::map<std::string, View> views_;  ///< by "ExternalArtifact/ns/name"
};

}  // namespace driftless::renderers
