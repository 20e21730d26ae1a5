// Reading kubeconfigs: contexts, certificate data and files, tokens, exec
// plugins, and the errors a user sees.
#include <gtest/gtest.h>

#include <cstdlib>

#include "connection.hpp"
#include "support.hpp"

namespace driftless::kube {
namespace {

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: lab
  cluster:
    server: https://lab:6443
    certificate-authority: ca.crt
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate: admin.crt
    client-key-data: a2V5
- name: robot
  user:
    tokenFile: token
- name: cloud
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./get-token
      args: [--cluster, lab]
      env: [{name: REGION, value: eu}]
contexts:
- name: admin
  context: {cluster: prod, user: admin, namespace: apps}
- name: robot
  context: {cluster: lab, user: robot}
- name: cloud
  context: {cluster: lab, user: cloud}
)";

class Kubeconfig : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "config", kKubeconfig);
    test::write_file(dir_ / "ca.crt", "ca");
    test::write_file(dir_ / "admin.crt", "cert");
  }
  Result<ClusterAccess> load(const std::string& context) { return find_cluster((dir_ / "config").string(), context); }
  test::TempDir dir_;
};

TEST_F(Kubeconfig, CurrentContextWithCertificateDataAndFiles) {
  auto access = load("");
  ASSERT_TRUE(access.ok()) << access.error().message;
  EXPECT_EQ(access->server, "https://10.0.0.1:6443");
  EXPECT_EQ(access->namespace_name, "apps");
  EXPECT_EQ(access->tls.ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(access->tls.client_cert_file, (dir_ / "admin.crt").string());
  EXPECT_EQ(access->tls.client_key_pem, "key");
  EXPECT_FALSE(access->tls.insecure_skip_verify);
}

TEST_F(Kubeconfig, NamedContextWithTokenFileAndInsecureByName) {
  auto access = load("robot");
  ASSERT_TRUE(access.ok()) << access.error().message;
  EXPECT_EQ(access->tls.ca_file, (dir_ / "ca.crt").string());
  EXPECT_TRUE(access->tls.insecure_skip_verify);
  EXPECT_EQ(access->token_file, dir_ / "token");
}

TEST_F(Kubeconfig, ExecPlugin) {
  auto access = load("cloud");
  ASSERT_TRUE(access.ok()) << access.error().message;
  ASSERT_TRUE(access->exec.has_value());
  EXPECT_EQ(access->exec->command, "./get-token");
  EXPECT_EQ(access->exec->args, (std::vector<std::string>{"--cluster", "lab"}));
  EXPECT_EQ(access->exec->env.at("REGION"), "eu");
  EXPECT_EQ(access->exec->dir, dir_.path());
}

TEST_F(Kubeconfig, ErrorsNameTheFileAndContext) {
  auto missing = load("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("has no context 'nope'"), std::string::npos);
  EXPECT_NE(missing.error().message.find((dir_ / "config").string()), std::string::npos);
  auto no_file = find_cluster((dir_ / "absent").string(), "");
  ASSERT_FALSE(no_file.ok());
  EXPECT_NE(no_file.error().message.find("absent"), std::string::npos);
}

TEST_F(Kubeconfig, KubeconfigListIsMergedFirstWins) {
  test::write_file(dir_ / "second", "apiVersion: v1\nkind: Config\ncurrent-context: other\nclusters:\n- name: prod\n"
                                     "  cluster: {server: https://elsewhere}\ncontexts:\n- name: other\n"
                                     "  context: {cluster: prod, user: admin}\n");
  ::setenv("KUBECONFIG", ((dir_ / "config").string() + ":" + (dir_ / "missing").string() + ":" + (dir_ / "second").string()).c_str(), 1);
  auto access = find_cluster("", "other");
  ::unsetenv("KUBECONFIG");
  ASSERT_TRUE(access.ok()) << access.error().message;
  EXPECT_EQ(access->server, "https://10.0.0.1:6443");  // the first file's cluster "prod"
}

}  // namespace
}  // namespace driftless::kube
