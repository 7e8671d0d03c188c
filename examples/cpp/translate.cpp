// A C++11 RAII wrapper over the mobilenmt C API, and a small program using it:
//   translate-cpp MODEL.gguf "sentence" ["sentence" ...]
#include <mobilenmt.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnmt {

// Carries the status and the library's detailed message.
class Error : public std::runtime_error {
  public:
    Error(mnmt_status status, const std::string &what)
        : std::runtime_error(std::string(mnmt_status_string(status)) + ": " + what),
          status_(status) {}
    mnmt_status status() const { return status_; }

  private:
    mnmt_status status_;
};

inline void check(mnmt_status s) {
    if (s != MNMT_OK) throw Error(s, mnmt_last_error());
}

// Owns one mnmt_translator; movable, not copyable; thread-safe like the handle itself.
class Translator {
  public:
    explicit Translator(const std::string &path) { check(mnmt_load(path.c_str(), &t_)); }
    ~Translator() { mnmt_free(t_); }
    Translator(Translator &&other) noexcept : t_(other.t_) { other.t_ = nullptr; }
    Translator &operator=(Translator &&other) noexcept {
        if (this != &other) {
            mnmt_free(t_);
            t_ = other.t_;
            other.t_ = nullptr;
        }
        return *this;
    }
    Translator(const Translator &) = delete;
    Translator &operator=(const Translator &) = delete;

    std::string translate(const std::string &text, unsigned beam_size = 1) const {
        mnmt_options opts = mnmt_options_default();
        opts.beam_size = beam_size;
        std::vector<char> buf(4 * text.size() + 64);
        size_t len = 0;
        mnmt_status s = mnmt_translate(t_, text.data(), text.size(), &opts, buf.data(),
                                       buf.size(), &len);
        if (s == MNMT_BUFFER_TOO_SMALL) {
            buf.resize(len + 1);
            s = mnmt_translate(t_, text.data(), text.size(), &opts, buf.data(), buf.size(),
                               &len);
        }
        check(s);
        return std::string(buf.data(), len);
    }

    std::vector<std::string> translate(const std::vector<std::string> &texts,
                                       unsigned beam_size = 1) const {
        std::vector<const char *> ptrs;
        std::vector<size_t> lens;
        for (const std::string &t : texts) {
            ptrs.push_back(t.data());
            lens.push_back(t.size());
        }
        mnmt_options opts = mnmt_options_default();
        opts.beam_size = beam_size;
        std::vector<std::string> out(texts.size());
        check(mnmt_translate_batch(t_, ptrs.data(), lens.data(), texts.size(), &opts, collect,
                                   &out));
        return out;
    }

  private:
    // Must not throw: exceptions may not cross the C library.
    static void collect(void *user, size_t index, const char *text, size_t len) {
        (*static_cast<std::vector<std::string> *>(user))[index].assign(text, len);
    }

    mnmt_translator *t_ = nullptr;
};

}  // namespace mnmt

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.gguf SENTENCE...\n", argv[0]);
        return 2;
    }
    try {
        mnmt::Translator t(argv[1]);
        std::vector<std::string> inputs(argv + 2, argv + argc);
        std::vector<std::string> outputs = t.translate(inputs, 4);
        for (size_t i = 0; i < inputs.size(); i++) {
            std::printf("%s\n  -> %s\n", inputs[i].c_str(), outputs[i].c_str());
        }
    } catch (const mnmt::Error &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
