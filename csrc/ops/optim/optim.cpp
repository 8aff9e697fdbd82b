// optim.cpp — argument checks and dispatch of the fused optimizer steps
// (optim.h). Every list is checked (lengths, devices, dtypes, shapes, contiguity,
// no two written buffers sharing memory) before anything is written, then the
// step counters are advanced and the per-tensor scalars that torch computes in
// Python double (bias corrections, NAdam's mu products, ASGD's eta/mu) are
// computed here, serially, and handed to the chunked multi-tensor kernel: the CPU
// one (optim_kernels.h) or, for a group on a CUDA device, optim_multi_tensor_step
// (optim_cuda.cu), which takes the same per-tensor scalars by value. The 0-d step
// (and mu/eta/mu_product) tensors stay on the CPU for both, as torch keeps them
// without capturable, so no step count is read back from the GPU.
#include "optim.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/checked.h"
#include "optim_cuda.h"
#include "optim_kernels.h"

namespace ember {
namespace optim_detail {

double read_scalar(const Array& a) {
  return a.dtype() == DType::Float32 ? static_cast<double>(*a.data<float>()) : *a.data<double>();
}

void write_scalar(const Array& a, double v) {
  if (a.dtype() == DType::Float32) *a.data<float>() = static_cast<float>(v);
  else *a.data<double>() = v;
  a.bump_version();
}

double increment_step(const Array& a) {
  if (a.dtype() == DType::Float32) {
    float* s = a.data<float>();
    *s += 1.0f;
    a.bump_version();
    return *s;
  }
  double* s = a.data<double>();
  *s += 1.0;
  a.bump_version();
  return *s;
}

}  // namespace optim_detail

namespace {
using optim_detail::Lists;

struct Named {
  const char* name;
  const ArrayList* list;
};

void check_same_device(const char* op, const char* what, size_t i, const Array& a, Device dev) {
  EMBER_CHECK(a.device() == dev, Runtime, "[", op, "] expected all tensors on the same device, got ", dev.str(),
              " and ", a.device().str(), " (", what, " ", i, ")");
}

void check_tensor(const char* op, const char* what, size_t i, const Array& a, const Array& param) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " ", i, " is undefined");
  check_same_device(op, what, i, a, param.device());
  EMBER_CHECK(a.dtype() == param.dtype(), Type, "[", op, "] expected ", what, " ", i, " of dtype ",
              dtype_name(param.dtype()), " (the param's), got ", dtype_name(a.dtype()));
  EMBER_CHECK(a.shape() == param.shape(), Value, "[", op, "] expected ", what, " ", i, " of shape ",
              shape_str(param.shape()), " (the param's), got ", shape_str(a.shape()));
  EMBER_CHECK(a.is_contiguous(), Value, "[", op, "] expected a contiguous ", what, " ", i);
}

void check_scalars(const char* op, const char* what, const ArrayList& s, size_t n) {
  EMBER_CHECK(s.size() == n, Value, "[", op, "] expected one ", what, " tensor per param (", n, "), got ", s.size());
  for (size_t i = 0; i < n; ++i) {
    const Array& a = s[i];
    EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " ", i, " is undefined");
    EMBER_CHECK(a.device().is_cpu(), Runtime, "[", op, "] expected ", what, " ", i,
                " to be a CPU tensor (the step count stays on the cpu), got one on ", a.device().str());
    EMBER_CHECK(a.dtype() == DType::Float32 || a.dtype() == DType::Float64, Type, "[", op, "] expected ", what,
                " ", i, " to be a float32 or float64 tensor, got ", dtype_name(a.dtype()));
    EMBER_CHECK(a.numel() == 1, Value, "[", op, "] expected ", what, " ", i, " to hold one value, got shape ",
                shape_str(a.shape()));
  }
}

// Checks every list against the params and flattens them into raw pointers; *dev
// receives the group's device (every tensor on one device; cpu for an empty group).
Lists make_lists(const char* op, const ArrayList& params, const ArrayList& grads, std::vector<Named> bufs,
                 Device* dev) {
  const size_t n = params.size();
  *dev = Device{};
  EMBER_CHECK(grads.size() == n, Value, "[", op, "] expected one grad per param (", n, "), got ", grads.size());
  for (const Named& b : bufs)
    EMBER_CHECK(b.list->size() == n, Value, "[", op, "] expected one ", b.name, " per param (", n, "), got ",
                b.list->size());
  Lists L;
  L.buf.resize(bufs.size());
  // Byte ranges of everything written, to refuse aliasing (a race across chunks).
  struct Range {
    uintptr_t lo, hi;
    const char* what;
    size_t i;
  };
  std::vector<Range> written;
  auto add_range = [&](const Array& a, const char* what, size_t i) {
    const int64_t nb = checked_mul(a.numel(), a.itemsize(), op);
    if (nb == 0) return;
    const uintptr_t lo = reinterpret_cast<uintptr_t>(a.data_ptr());
    written.push_back({lo, lo + static_cast<uintptr_t>(nb), what, i});
  };
  for (size_t i = 0; i < n; ++i) {
    const Array& p = params[i];
    EMBER_CHECK(p.defined(), Value, "[", op, "] param ", i, " is undefined");
    if (i == 0) *dev = p.device();
    check_same_device(op, "param", i, p, *dev);
    EMBER_CHECK(p.dtype() == DType::Float32 || p.dtype() == DType::Float64, Type, "[", op,
                "] expected float32 or float64 params, got param ", i, " of dtype ", dtype_name(p.dtype()));
    EMBER_CHECK(p.is_contiguous(), Value, "[", op, "] expected a contiguous param ", i, ", got strides ",
                shape_str(p.strides()), " for shape ", shape_str(p.shape()));
    check_tensor(op, "grad", i, grads[i], p);
    L.numel.push_back(p.numel());
    L.dtype.push_back(p.dtype());
    L.p.push_back(p.data_ptr());
    L.g.push_back(grads[i].data_ptr());
    add_range(p, "param", i);
    for (size_t k = 0; k < bufs.size(); ++k) {
      const Array& b = (*bufs[k].list)[i];
      check_tensor(op, bufs[k].name, i, b, p);
      L.buf[k].push_back(b.data_ptr());
      add_range(b, bufs[k].name, i);
    }
  }
  std::sort(written.begin(), written.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  for (size_t j = 1; j < written.size(); ++j)
    EMBER_CHECK(written[j].lo >= written[j - 1].hi, Value, "[", op, "] ", written[j - 1].what, " ",
                written[j - 1].i, " and ", written[j].what, " ", written[j].i,
                " share memory; every param and state buffer must be distinct");
  return L;
}

void bump(const ArrayList& params, std::initializer_list<const ArrayList*> bufs) {
  for (const Array& a : params) a.bump_version();
  for (const ArrayList* l : bufs)
    for (const Array& a : *l) a.bump_version();
}

const char* optim_cuda_name(optim_cuda::Algo a) {
  static const char* const names[optim_cuda::kNumAlgos] = {
      "sgd_step",     "adam_step",    "adamax_step",  "nadam_step",    "radam_step", "lion_step",
      "rmsprop_step", "adagrad_step", "adadelta_step", "asgd_step", "rprop_step"};
  return names[a];
}

// Runs the CUDA multi-tensor kernel over the checked lists; s: up to three per-tensor
// scalar lists (see optim_cuda.h for their meaning per rule).
void run_cuda(optim_cuda::Algo algo, const Lists& L, Device dev, const optim_cuda::Hyper& h,
              std::initializer_list<const std::vector<double>*> s = {}, const std::vector<bool>* fresh = nullptr) {
  optim_cuda::Group G;
  G.device = dev.index;
  G.numel = L.numel;
  G.dtype = L.dtype;
  G.p = L.p;
  G.g = L.g;
  G.buf = L.buf;
  int k = 0;
  for (const std::vector<double>* v : s) G.s[k++] = *v;
  if (fresh)
    for (bool f : *fresh) G.flag.push_back(f ? 1 : 0);
  cuda_kernels::optim_multi_tensor_step(optim_cuda_name(algo))(algo, G, h);
}

std::vector<double> increment_steps(const ArrayList& steps) {
  std::vector<double> v;
  v.reserve(steps.size());
  for (const Array& s : steps) v.push_back(optim_detail::increment_step(s));
  return v;
}

}  // namespace

void sgd_step(const ArrayList& params, const ArrayList& grads, const ArrayList& momentum_buffers,
              const std::vector<bool>& fresh, double lr, double momentum, double dampening, double weight_decay,
              bool nesterov, bool maximize) {
  const char* op = "sgd_step";
  std::vector<Named> bufs;
  if (momentum != 0) {
    bufs.push_back({"momentum_buffer", &momentum_buffers});
    EMBER_CHECK(fresh.size() == params.size(), Value, "[", op, "] expected one fresh flag per param (",
                params.size(), "), got ", fresh.size());
  }
  Device dev;
  Lists L = make_lists(op, params, grads, bufs, &dev);
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.momentum = momentum, h.dampening = dampening, h.wd = weight_decay, h.nesterov = nesterov,
    h.maximize = maximize;
    run_cuda(optim_cuda::kSgd, L, dev, h, {}, momentum != 0 ? &fresh : nullptr);
  } else {
    optim_detail::kernels().sgd(L, fresh, lr, momentum, dampening, weight_decay, nesterov, maximize);
  }
  bump(params, {&momentum_buffers});
}

void adam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
               const ArrayList& exp_avg_sqs, const ArrayList& max_exp_avg_sqs, const ArrayList& steps, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled) {
  const char* op = "adam_step";
  std::vector<Named> bufs{{"exp_avg", &exp_avgs}, {"exp_avg_sq", &exp_avg_sqs}};
  if (amsgrad) bufs.push_back({"max_exp_avg_sq", &max_exp_avg_sqs});
  Device dev;
  Lists L = make_lists(op, params, grads, bufs, &dev);
  check_scalars(op, "step", steps, params.size());
  std::vector<double> step = increment_steps(steps), step_size, bc2_sqrt;
  for (double t : step) {
    step_size.push_back(lr / (1 - std::pow(beta1, t)));
    bc2_sqrt.push_back(std::pow(1 - std::pow(beta2, t), 0.5));
  }
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.wd = weight_decay, h.amsgrad = amsgrad,
    h.maximize = maximize, h.decoupled = decoupled;
    run_cuda(optim_cuda::kAdam, L, dev, h, {&step_size, &bc2_sqrt});
  } else {
    optim_detail::kernels().adam(L, step_size, bc2_sqrt, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                                 decoupled);
  }
  bump(params, {&exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs});
}

void rmsprop_step(const ArrayList& params, const ArrayList& grads, const ArrayList& square_avgs,
                  const ArrayList& grad_avgs, const ArrayList& momentum_buffers, const ArrayList& steps, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered, bool maximize) {
  const char* op = "rmsprop_step";
  std::vector<Named> bufs{{"square_avg", &square_avgs}};
  if (centered) bufs.push_back({"grad_avg", &grad_avgs});
  if (momentum > 0) bufs.push_back({"momentum_buffer", &momentum_buffers});
  Device dev;
  Lists L = make_lists(op, params, grads, bufs, &dev);
  check_scalars(op, "step", steps, params.size());
  increment_steps(steps);
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.alpha = alpha, h.eps = eps, h.wd = weight_decay, h.momentum = momentum, h.centered = centered,
    h.maximize = maximize;
    run_cuda(optim_cuda::kRmsprop, L, dev, h);
  } else {
    optim_detail::kernels().rmsprop(L, lr, alpha, eps, weight_decay, momentum, centered, maximize);
  }
  bump(params, {&square_avgs, &grad_avgs, &momentum_buffers});
}

void adagrad_step(const ArrayList& params, const ArrayList& grads, const ArrayList& sums, const ArrayList& steps,
                  double lr, double lr_decay, double weight_decay, double eps, bool maximize) {
  const char* op = "adagrad_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"sum", &sums}}, &dev);
  check_scalars(op, "step", steps, params.size());
  std::vector<double> clr;
  for (double t : increment_steps(steps)) clr.push_back(lr / (1 + (t - 1) * lr_decay));
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.wd = weight_decay, h.eps = eps, h.maximize = maximize;
    run_cuda(optim_cuda::kAdagrad, L, dev, h, {&clr});
  } else {
    optim_detail::kernels().adagrad(L, clr, weight_decay, eps, maximize);
  }
  bump(params, {&sums});
}

void adadelta_step(const ArrayList& params, const ArrayList& grads, const ArrayList& square_avgs,
                   const ArrayList& acc_deltas, const ArrayList& steps, double lr, double rho, double eps,
                   double weight_decay, bool maximize) {
  const char* op = "adadelta_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"square_avg", &square_avgs}, {"acc_delta", &acc_deltas}}, &dev);
  check_scalars(op, "step", steps, params.size());
  increment_steps(steps);
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.alpha = rho, h.eps = eps, h.wd = weight_decay, h.maximize = maximize;
    run_cuda(optim_cuda::kAdadelta, L, dev, h);
  } else {
    optim_detail::kernels().adadelta(L, lr, rho, eps, weight_decay, maximize);
  }
  bump(params, {&square_avgs, &acc_deltas});
}

void adamax_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                 const ArrayList& exp_infs, const ArrayList& steps, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize) {
  const char* op = "adamax_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"exp_avg", &exp_avgs}, {"exp_inf", &exp_infs}}, &dev);
  check_scalars(op, "step", steps, params.size());
  std::vector<double> clr;
  for (double t : increment_steps(steps)) clr.push_back(lr / (1 - std::pow(beta1, t)));
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.wd = weight_decay, h.maximize = maximize;
    run_cuda(optim_cuda::kAdamax, L, dev, h, {&clr});
  } else {
    optim_detail::kernels().adamax(L, clr, beta1, beta2, eps, weight_decay, maximize);
  }
  bump(params, {&exp_avgs, &exp_infs});
}

void nadam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                const ArrayList& exp_avg_sqs, const ArrayList& mu_products, const ArrayList& steps, double lr,
                double beta1, double beta2, double eps, double weight_decay, double momentum_decay, bool decoupled,
                bool maximize) {
  const char* op = "nadam_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"exp_avg", &exp_avgs}, {"exp_avg_sq", &exp_avg_sqs}}, &dev);
  check_scalars(op, "step", steps, params.size());
  check_scalars(op, "mu_product", mu_products, params.size());
  std::vector<double> step = increment_steps(steps), bc2, c1, c2;
  for (size_t i = 0; i < step.size(); ++i) {
    const double t = step[i];
    bc2.push_back(1 - std::pow(beta2, t));
    const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
    const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1) * momentum_decay));
    // mu_product *= mu runs in the tensor's dtype (a 0-d tensor times a Python float).
    const Array& mp = mu_products[i];
    const double prod = mp.dtype() == DType::Float32
                            ? static_cast<double>(static_cast<float>(optim_detail::read_scalar(mp)) *
                                                  static_cast<float>(mu))
                            : optim_detail::read_scalar(mp) * mu;
    optim_detail::write_scalar(mp, prod);
    const double prod_next = prod * mu_next;
    c1.push_back(-lr * (1.0 - mu) / (1.0 - prod));
    c2.push_back((-lr * mu_next) / (1.0 - prod_next));
  }
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.wd = weight_decay, h.decoupled = decoupled,
    h.maximize = maximize;
    run_cuda(optim_cuda::kNAdam, L, dev, h, {&bc2, &c1, &c2});
  } else {
    optim_detail::kernels().nadam(L, bc2, c1, c2, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
  }
  bump(params, {&exp_avgs, &exp_avg_sqs});
}

void radam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                const ArrayList& exp_avg_sqs, const ArrayList& steps, double lr, double beta1, double beta2,
                double eps, double weight_decay, bool decoupled, bool maximize) {
  const char* op = "radam_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"exp_avg", &exp_avgs}, {"exp_avg_sq", &exp_avg_sqs}}, &dev);
  check_scalars(op, "step", steps, params.size());
  std::vector<double> bc1, bc2, rect;
  const double rho_inf = 2 / (1 - beta2) - 1;
  for (double t : increment_steps(steps)) {
    bc1.push_back(1 - std::pow(beta1, t));
    const double b2 = 1 - std::pow(beta2, t);
    bc2.push_back(b2);
    const double rho_t = rho_inf - 2 * t * std::pow(beta2, t) / b2;
    rect.push_back(rho_t > 5.0
                       ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5)
                       : -1.0);
  }
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.wd = weight_decay, h.decoupled = decoupled,
    h.maximize = maximize;
    std::vector<double> bc2_sqrt;  // the CPU kernel's T(std::pow(bc2, 0.5)), taken in double here
    for (double v : bc2) bc2_sqrt.push_back(std::pow(v, 0.5));
    run_cuda(optim_cuda::kRAdam, L, dev, h, {&bc1, &bc2_sqrt, &rect});
  } else {
    optim_detail::kernels().radam(L, bc1, bc2, rect, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
  }
  bump(params, {&exp_avgs, &exp_avg_sqs});
}

void asgd_step(const ArrayList& params, const ArrayList& grads, const ArrayList& axs, const ArrayList& mus,
               const ArrayList& etas, const ArrayList& steps, double lr, double lambd, double alpha, double t0,
               double weight_decay, bool maximize, bool round_to_float32) {
  const char* op = "asgd_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"ax", &axs}}, &dev);
  check_scalars(op, "step", steps, params.size());
  check_scalars(op, "mu", mus, params.size());
  check_scalars(op, "eta", etas, params.size());
  std::vector<double> step = increment_steps(steps), eta, mu;
  for (size_t i = 0; i < step.size(); ++i) {
    eta.push_back(optim_detail::read_scalar(etas[i]));
    mu.push_back(optim_detail::read_scalar(mus[i]));
  }
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.wd = weight_decay, h.maximize = maximize;
    std::vector<double> decay, neg_eta;  // the CPU kernel's 1 - lambd * eta and -eta, in double
    for (double e : eta) {
      decay.push_back(1 - lambd * e);
      neg_eta.push_back(-e);
    }
    run_cuda(optim_cuda::kAsgd, L, dev, h, {&decay, &neg_eta, &mu});
  } else {
    optim_detail::kernels().asgd(L, eta, mu, lambd, weight_decay, maximize);
  }
  auto as_default = [&](double v) { return round_to_float32 ? static_cast<double>(static_cast<float>(v)) : v; };
  for (size_t i = 0; i < step.size(); ++i) {
    optim_detail::write_scalar(etas[i], as_default(lr / std::pow(1 + lambd * lr * step[i], alpha)));
    optim_detail::write_scalar(mus[i], as_default(1 / std::max(1.0, step[i] - t0)));
  }
  bump(params, {&axs});
}

void rprop_step(const ArrayList& params, const ArrayList& grads, const ArrayList& prevs,
                const ArrayList& step_sizes, const ArrayList& steps, double etaminus, double etaplus,
                double step_size_min, double step_size_max, bool maximize) {
  const char* op = "rprop_step";
  Device dev;
  Lists L = make_lists(op, params, grads, {{"prev", &prevs}, {"step_size", &step_sizes}}, &dev);
  check_scalars(op, "step", steps, params.size());
  increment_steps(steps);
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.etaminus = etaminus, h.etaplus = etaplus, h.step_min = step_size_min, h.step_max = step_size_max,
    h.maximize = maximize;
    run_cuda(optim_cuda::kRprop, L, dev, h);
  } else {
    optim_detail::kernels().rprop(L, etaminus, etaplus, step_size_min, step_size_max, maximize);
  }
  bump(params, {&prevs, &step_sizes});
}

void lion_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs, double lr, double beta1,
               double beta2, double weight_decay, bool maximize) {
  Device dev;
  Lists L = make_lists("lion_step", params, grads, {{"exp_avg", &exp_avgs}}, &dev);
  if (dev.is_cuda()) {
    optim_cuda::Hyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.wd = weight_decay, h.maximize = maximize;
    run_cuda(optim_cuda::kLion, L, dev, h);
  } else {
    optim_detail::kernels().lion(L, lr, beta1, beta2, weight_decay, maximize);
  }
  bump(params, {&exp_avgs});
}

}  // namespace ember
