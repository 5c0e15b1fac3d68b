#include "app/secret.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/object_id.hpp"
#include "base/utf8.hpp"

namespace app {

std::string load_or_create_secret(const std::filesystem::path& data_dir) {
  auto path = data_dir / "jwt-secret";
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s(base::trim(ss.str()));
    if (s.size() < 16) throw std::runtime_error(path.string() + " holds no usable secret");
    return s;
  }
  std::string secret = base::random_token(32);
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  std::filesystem::rename(tmp, path);
  return secret;
}

}  // namespace app
