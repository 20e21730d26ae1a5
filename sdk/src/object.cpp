#include "driftless/object.hpp"

namespace driftless {

std::string KubeObject::api_version() const { return body.string_or("apiVersion"); }
std::string KubeObject::kind() const { return body.string_or("kind"); }

std::string KubeObject::name() const {
  const Value* metadata = body.find("metadata");
  return metadata ? metadata->string_or("name") : std::string();
}

std::string KubeObject::namespace_name() const {
  const Value* metadata = body.find("metadata");
  return metadata ? metadata->string_or("namespace") : std::string();
}

std::string KubeObject::id() const {
  std::string ns = namespace_name();
  return ns.empty() ? kind() + "/" + name() : kind() + "/" + ns + "/" + name();
}

std::string KubeObject::group() const {
  std::string v = api_version();
  auto slash = v.find('/');
  return slash == std::string::npos ? std::string() : v.substr(0, slash);
}

namespace {
Object& metadata_map(Value& body, std::string_view field) {
  Value& metadata = body.as_object()["metadata"];
  if (!metadata.is_object()) metadata = Value(Object());
  Value& map = metadata.as_object()[field];
  if (!map.is_object()) map = Value(Object());
  return map.as_object();
}
}  // namespace

Object& labels_of(Value& body) { return metadata_map(body, "labels"); }
Object& annotations_of(Value& body) { return metadata_map(body, "annotations"); }

}  // namespace driftless
