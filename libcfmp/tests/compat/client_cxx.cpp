/*
 * client_cxx.cpp — a C++ client of a CFMessagePort server, as a C++ protocol client on macOS
 * is written: an RAII holder for CF objects, std::string in and out, a batch of requests with
 * per-request deadlines measured with std::chrono, a one-way notification, and a final quit.
 * Compiles unchanged on macOS and against libcfmp, with g++ and clang++.
 *
 * usage: client_cxx NAME [COUNT]   (exit 0 if every reply is right, 1 otherwise, 3 no server)
 */
#include <CoreFoundation/CoreFoundation.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// Owns one +1 CF reference (Create/Copy rule) and releases it.
template <typename T> class CFRef {
  public:
    CFRef() = default;
    explicit CFRef(T ref) : ref_(ref) {}
    CFRef(const CFRef &) = delete;
    CFRef &operator=(const CFRef &) = delete;
    CFRef(CFRef &&other) noexcept : ref_(std::exchange(other.ref_, nullptr)) {}
    CFRef &operator=(CFRef &&other) noexcept {
        if (this != &other) {
            if (ref_ != nullptr) CFRelease(ref_);
            ref_ = std::exchange(other.ref_, nullptr);
        }
        return *this;
    }
    ~CFRef() {
        if (ref_ != nullptr) CFRelease(ref_);
    }
    T get() const { return ref_; }
    T *out() { return &ref_; }
    explicit operator bool() const { return ref_ != nullptr; }

  private:
    T ref_ = nullptr;
};

std::string ToString(CFStringRef string) {
    if (const char *fast = CFStringGetCStringPtr(string, kCFStringEncodingUTF8)) return fast;
    CFIndex size = CFStringGetMaximumSizeForEncoding(CFStringGetLength(string), kCFStringEncodingUTF8) + 1;
    std::string buffer(static_cast<size_t>(size), '\0');
    if (!CFStringGetCString(string, &buffer[0], size, kCFStringEncodingUTF8)) return {};
    buffer.resize(std::char_traits<char>::length(buffer.c_str()));
    return buffer;
}

class Client {
  public:
    explicit Client(const std::string &name) {
        CFRef<CFStringRef> portName(CFStringCreateWithCString(kCFAllocatorDefault, name.c_str(),
                                                              kCFStringEncodingUTF8));
        for (int attempt = 0; attempt < 100 && !remote_; ++attempt) {
            remote_ = CFRef<CFMessagePortRef>(CFMessagePortCreateRemote(kCFAllocatorDefault, portName.get()));
            if (!remote_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    ~Client() {
        if (remote_) CFMessagePortInvalidate(remote_.get());
    }
    bool connected() const { return static_cast<bool>(remote_); }

    // Sends a request and returns {status, reply text}.
    std::pair<SInt32, std::string> Request(SInt32 msgid, const std::string &text,
                                           CFTimeInterval timeout = 5.0) {
        CFRef<CFDataRef> data(CFDataCreate(nullptr, reinterpret_cast<const UInt8 *>(text.data()),
                                           static_cast<CFIndex>(text.size())));
        CFRef<CFDataRef> reply;
        SInt32 status = CFMessagePortSendRequest(remote_.get(), msgid, data.get(), timeout, timeout,
                                                 kCFRunLoopDefaultMode, reply.out());
        if (status != kCFMessagePortSuccess || !reply) return {status, std::string()};
        CFRef<CFStringRef> replyText(CFStringCreateFromExternalRepresentation(nullptr, reply.get(),
                                                                              kCFStringEncodingUTF8));
        return {status, replyText ? ToString(replyText.get()) : std::string()};
    }

    SInt32 Notify(SInt32 msgid, const std::string &text) {
        CFRef<CFDataRef> data(CFDataCreate(nullptr, reinterpret_cast<const UInt8 *>(text.data()),
                                           static_cast<CFIndex>(text.size())));
        return CFMessagePortSendRequest(remote_.get(), msgid, data.get(), 1.0, 0.0, nullptr, nullptr);
    }

  private:
    CFRef<CFMessagePortRef> remote_;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s NAME [COUNT]\n", argv[0]);
        return 2;
    }
    int count = argc > 2 ? std::atoi(argv[2]) : 50;
    Client client(argv[1]);
    if (!client.connected()) {
        std::fprintf(stderr, "error: no server named %s\n", argv[1]);
        return 3;
    }
    int wrong = 0;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> sent;
    for (int i = 0; i < count; ++i) {
        std::string text = "message " + std::to_string(i);
        auto result = client.Request(1, text);
        if (result.first != kCFMessagePortSuccess || result.second != text) ++wrong;
        sent.push_back(std::move(text));
    }
    auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    auto upper = client.Request(2, "hello, c++");
    if (upper.second != "HELLO, C++") ++wrong;
    auto work = client.Request(3, sent.back());
    if (work.first != kCFMessagePortSuccess || work.second.empty()) ++wrong;
    if (client.Notify(1, "one-way") != kCFMessagePortSuccess) ++wrong;
    auto stats = client.Request(4, "");
    std::printf("echoed %d requests (%.2f ms each); upper: %s; work: %s; stats: %s\n", count,
                elapsed.count() / (count > 0 ? count : 1), upper.second.c_str(), work.second.c_str(),
                stats.second.c_str());
    auto bye = client.Request(99, "");
    std::printf("quit: %s\n", bye.second.c_str());
    if (bye.second != "bye") ++wrong;
    std::printf("%s: %d wrong\n", wrong == 0 ? "ok" : "FAILED", wrong);
    return wrong == 0 ? 0 : 1;
}
