// The Sieve accelerator's VLIW instruction set (thesis §4.2.3): instructions, words (bundles)
// and programs; their binary encoding (docs/formats/isa.md) and the assembly text.
//
// The instructions are the lines of isa.def. A word holds one slot per unit (load, store,
// matrix, vector, scalar, control): what is in one word issues together, so a word can hold a
// load and a store (dual-ported memory) and compute on different units, never two instructions
// of one unit. Each slot is 16 bytes: the opcode in byte 0 (0: empty), the operands packed from
// bit 8 upwards in isa.def's order, the bits above them zero.
//
// Every error in a file (binary or text) is a Status whose message names where (the word index,
// or the file and line), the slot or instruction, the field and the value.
// Thread-safety: value types and pure functions; the operand table is built once, thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/core/status.h"

namespace sieve::compiler::isa {

// The units, one slot each, in the order of the slots in a word.
enum class Unit : uint8_t { kLoad = 0, kStore, kMatrix, kVector, kScalar, kControl };
inline constexpr int kSlots = 6;
const char* unit_name(Unit u);  // "load", "store", "matrix", "vector", "scalar", "control"

// The opcodes: isa.def's values; kNone (0) is an empty slot.
enum class Op : uint8_t {
  kNone = 0,
#define SIEVE_INSN(mn, unit, opcode, operands, summary) mn = opcode,
#include "sieve/compiler/isa/isa.def"
#undef SIEVE_INSN
};

enum class Kind : uint8_t { kUnsigned, kSigned, kAddr, kBuf, kReg, kLabel };

struct Field {
  std::string name;
  Kind kind = Kind::kUnsigned;
  int bits = 0;
  int lsb = 0;  // first bit inside the 128-bit slot (the opcode is bits 0..7)
  // The values a field holds: [min, max] (signed fields: two's complement in `bits` bits;
  // buffers: 0..5). A label's upper bound is the program's last word, checked per program.
  int64_t min() const;
  int64_t max() const;
};

// One line of isa.def.
struct InsnInfo {
  Op op = Op::kNone;
  std::string mnemonic;
  Unit unit = Unit::kControl;
  std::string summary;
  std::vector<Field> fields;
};
inline constexpr int kMaxFields = 12;

// Every instruction, in isa.def's order.
const std::vector<InsnInfo>& instructions();
// The instruction of an opcode; nullptr when the opcode is none.
const InsnInfo* info(uint8_t opcode);
const InsnInfo* info(Op op);
const InsnInfo* find_mnemonic(std::string_view mnemonic);

// The buffers (kind buf): nbin 0, nibin 1, nbout 2, sb 3, sib 4, lut 5 (the WDM's codebook of
// local-quantization centroids, one half per ping-pong side like the others).
inline constexpr std::array<const char*, 6> kBufferNames = {"nbin", "nibin", "nbout",
                                                            "sb",   "sib",   "lut"};

// One instruction: its opcode and its operand values (in isa.def's order; signed values as
// int64). An empty slot has op kNone.
struct Insn {
  Op op = Op::kNone;
  std::array<int64_t, kMaxFields> v{};
  bool empty() const { return op == Op::kNone; }
  bool operator==(const Insn&) const = default;
};

// The value of operand `name` of `insn` (SIEVE_ASSERTs that its instruction has one).
int64_t operand(const Insn& insn, std::string_view name);
// An instruction from named operands; operands not named are 0. A name the instruction does not
// have SIEVE_ASSERTs (a code generator's bug, not an input error). Values are not range-checked
// here: validate() does that for the whole program.
Insn make_insn(Op op, std::initializer_list<std::pair<std::string_view, int64_t>> operands);

// sync's operands: one count per unit that runs long instructions (load, store, matrix, vector:
// the first four units, in this order). The word issues once at most that many instructions
// issued earlier on the unit are unfinished; kSyncNoWait does not wait on the unit.
inline constexpr int kSyncUnits = 4;
inline constexpr int64_t kSyncNoWait = 15;
inline constexpr int64_t kSyncMaxCount = 14;
// The counts of a sync (every unit kSyncNoWait when `insn` is not a sync).
std::array<int64_t, kSyncUnits> sync_counts(const Insn& insn);
Insn make_sync(const std::array<int64_t, kSyncUnits>& counts);

// One VLIW word: slot[u] holds the instruction of unit u, or is empty.
struct Bundle {
  std::array<Insn, kSlots> slot{};
  bool operator==(const Bundle&) const = default;
};

struct Program {
  std::vector<Bundle> words;
  bool operator==(const Program&) const = default;
};

// The binary file (docs/formats/isa.md): a 16-byte header (magic "SISA", version, word size,
// word count, CRC32 of the words) and the words, little-endian.
inline constexpr char kMagic[4] = {'S', 'I', 'S', 'A'};
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 16;
inline constexpr size_t kSlotBytes = 16;
inline constexpr size_t kWordBytes = kSlotBytes * kSlots;  // 96
inline constexpr uint32_t kMaxWords = 1u << 24;            // a label holds any word index

// Checks every operand against its field (range, buffer, and branch targets inside the
// program) and every slot against its unit; errors name the word, the slot, the field, the
// value.
Status validate(const Program& p);

// Encodes a valid program (SIEVE_ASSERTs validate()).
std::string encode(const Program& p);
// Decodes a binary program; `name` (a file name) prefixes the errors.
Result<Program> decode(std::string_view bytes, std::string_view name = "program");
// One word's 96 bytes to a bundle (the checks of decode for that word, except branch targets
// against the word count).
Result<Bundle> decode_word(std::span<const std::byte> word, size_t index);

// Assembly text (docs/formats/isa.md): one word per line, instructions separated by " || " or
// " ; ", operands as name=value, '#' comments, "label:" lines. Errors name file:line, the
// instruction, the field and the value.
Result<Program> assemble(std::string_view text, std::string_view file);
// The canonical text of a program: a header comment, a label "L<n>:" before every branch
// target, each word on a line indented by two spaces, its instructions in slot order with every
// operand; an empty word is "nop". assemble(disassemble(p)) == p for every valid p.
std::string disassemble(const Program& p);
// The same text with comment lines ("# ...") before some words: comments[w] goes before word w
// (and before its label). assemble() ignores them, so the program is unchanged.
std::string disassemble(const Program& p, const std::map<size_t, std::string>& comments);
// One instruction as text ("ld buf=nbin half=0 ..."); labels as "L<n>".
std::string format_insn(const Insn& insn);

}  // namespace sieve::compiler::isa
