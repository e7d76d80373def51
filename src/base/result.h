// File: base/result.h
//
// Result<T> carries either a value or an Error. Every boundary that can fail (parsing,
// configuration, sockets, control messages) returns one; the packet path returns verdicts
// instead. Error::code is an errno value so that the control protocol can hand it to
// ipvsadm, which prints the same text as it does for kernel IPVS.
//
//   Result<Service> r = ParseService(text);
//   if (!r) return r.error();
//   Use(*r);
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ipvsd {

struct Error {
  int code = 0;         // errno value (EINVAL, ENOENT, ESRCH, EEXIST, ...)
  std::string message;  // human-readable detail, for logs and tools
};

inline Error MakeError(int code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace ipvsd
