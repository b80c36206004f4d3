// The shared vocabulary of action names for what architectures have in common: the on-chip
// buffers (NBin input neurons, NIBin their index, NBout outputs and partial sums, SB weights,
// SIB their index), the control unit, and DRAM. A model counts these under exactly these names
// (LayerStats::actions), and each preset's energy table (configs/energy/, named by the preset's
// `energy:` key) prices them, so that energy breakdowns compare across architectures. Actions of
// an architecture's own units keep their own names (DianNao's "nfu_cycle", Sieve's
// "nsm_cycle", Cambricon-X's "im_cycle", ...); a model must not invent a second name for a
// shared buffer (tests/hw/actions_test.cc checks every architecture of archs.def).
//
// One count = one access of one line of the buffer (its width is the architecture's).
#pragma once

#include <array>
#include <string_view>

namespace sieve::hw::actions {

// Reads by the datapath (one line each).
inline constexpr const char* kNbinRead = "nbin_read";
inline constexpr const char* kNibinRead = "nibin_read";
inline constexpr const char* kSbRead = "sb_read";
inline constexpr const char* kSibRead = "sib_read";
// NBout read-modify-write of partial sums by the datapath (one line each).
inline constexpr const char* kNboutAccess = "nbout_access";
// Lines written by loads from DRAM (inputs, index bits, weights, partial sums reloaded).
inline constexpr const char* kNbinFill = "nbin_fill";
inline constexpr const char* kNibinFill = "nibin_fill";
inline constexpr const char* kSbFill = "sb_fill";
inline constexpr const char* kSibFill = "sib_fill";
inline constexpr const char* kNboutFill = "nbout_fill";
// Lines read by stores to DRAM (outputs and partial sums).
inline constexpr const char* kNboutDrain = "nbout_drain";
// The control unit, every cycle of a layer.
inline constexpr const char* kControlCycle = "control_cycle";
// The energy table's price of one bit moved off chip (LayerStats::offchip, not an action).
inline constexpr const char* kDramBit = "dram_bit";

inline constexpr std::array<const char*, 12> kShared = {
    kNbinRead,  kNibinRead, kSbRead,  kSibRead,   kNboutAccess, kNbinFill,
    kNibinFill, kSbFill,    kSibFill, kNboutFill, kNboutDrain,  kControlCycle};

// Whether `name` names a shared buffer or the control unit (by prefix: "nbin_", "nibin_",
// "nbout_", "sb_", "sib_", "control_", "dram_"): such a name must be one of kShared.
inline bool names_shared_unit(std::string_view name) {
  for (std::string_view p : {"nbin_", "nibin_", "nbout_", "sb_", "sib_", "control_", "dram_"})
    if (name.starts_with(p)) return true;
  return false;
}
inline bool is_shared(std::string_view name) {
  for (const char* s : kShared)
    if (name == s) return true;
  return false;
}

}  // namespace sieve::hw::actions
