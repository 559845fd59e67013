// SHA-256 of whole files (OpenSSL's EVP interface).
#include "host/model/hash.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "amfm/kernels/error.hpp"

namespace amfm {

std::string sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path + ": cannot open for hashing");
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        throw DataError(path + ": cannot initialise SHA-256");
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), (std::streamsize)buf.size());
        const std::streamsize n = in.gcount();
        if (n > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), (std::size_t)n) != 1)
            throw DataError(path + ": SHA-256 failed");
    }
    if (in.bad()) throw DataError(path + ": read error while hashing");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) throw DataError(path + ": SHA-256 failed");
    std::string hex;
    hex.reserve(2 * len);
    static const char digits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
        hex += digits[md[i] >> 4];
        hex += digits[md[i] & 15];
    }
    return hex;
}

}  // namespace amfm
