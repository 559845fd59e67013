// SHA-256 of files and byte strings (OpenSSL's EVP interface).
#include "host/model/hash.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/model/input_file.hpp"

namespace amfm {

namespace {

// An incremental SHA-256; `what` names the input in errors.
class Sha256 {
public:
    explicit Sha256(const std::string& what) : what_(what), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
            throw DataError(what_ + ": cannot initialise SHA-256");
    }
    void update(const char* data, std::size_t n) {
        if (n > 0 && EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw DataError(what_ + ": SHA-256 failed");
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw DataError(what_ + ": SHA-256 failed");
        static const char digits[] = "0123456789abcdef";
        std::string out;
        out.reserve(2 * len);
        for (unsigned int i = 0; i < len; ++i) {
            out += digits[md[i] >> 4];
            out += digits[md[i] & 15];
        }
        return out;
    }

private:
    std::string what_;
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

std::string sha256_file(const std::string& path) {
    check_input_file(path);  // a FIFO would block the hash forever
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path + ": cannot open for hashing");
    Sha256 sha(path);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), (std::streamsize)buf.size());
        sha.update(buf.data(), (std::size_t)in.gcount());
    }
    if (in.bad()) throw DataError(path + ": read error while hashing");
    return sha.hex();
}

std::string sha256_bytes(std::string_view bytes) {
    Sha256 sha("in-memory bytes");
    sha.update(bytes.data(), bytes.size());
    return sha.hex();
}

}  // namespace amfm
