#include <gtest/gtest.h>

#include "git_spec.hpp"

using namespace driftless::git;

TEST(RemoteUrl, TransportsHostsAndPorts) {
  auto scp = parse_remote_url("git@github.com:acme/fleet.git");
  ASSERT_TRUE(scp.ok());
  EXPECT_EQ(scp->transport, Transport::ssh);
  EXPECT_EQ(scp->user, "git");
  EXPECT_EQ(scp->host, "github.com");
  EXPECT_EQ(scp->port, 22);
  auto ssh = parse_remote_url("ssh://git@127.0.0.1:2222/srv/repo.git");
  ASSERT_TRUE(ssh.ok());
  EXPECT_EQ(ssh->port, 2222);
  EXPECT_EQ(ssh->host, "127.0.0.1");
  auto v6 = parse_remote_url("ssh://git@[::1]:2200/repo.git");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 2200);
  EXPECT_EQ(parse_remote_url("https://example.com/x.git")->port, 443);
  EXPECT_EQ(parse_remote_url("git://example.com/x.git")->port, 9418);
  EXPECT_EQ(parse_remote_url("/srv/git/x.git")->transport, Transport::file);
  EXPECT_EQ(parse_remote_url("file:///srv/git/x.git")->transport, Transport::file);
  EXPECT_FALSE(parse_remote_url("ftp://example.com/x").ok());
  EXPECT_FALSE(parse_remote_url("https://u:secret@example.com/x.git").ok());
  EXPECT_FALSE(parse_remote_url("relative/path").ok());
}

TEST(GitSpec, CredentialsInAUrlAreRefusedWithoutShowingThem) {
  for (const char* url : {"https://ghp_s3cret@example.com/x.git", "http://u:s3cret@example.com/x.git", "git://s3cret@example.com/x.git",
                          "ssh://git:s3cret@example.com/x.git", "ftp://s3cret@example.com/x", "https://s3cret@example.com:port/x"}) {
    auto parsed = parse_remote_url(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().message.find("s3cret"), std::string::npos) << parsed.error().message;
  }
  EXPECT_EQ(parse_remote_url("ssh://deploy@example.com/x.git")->user, "deploy") << "an ssh user is no secret";
}
