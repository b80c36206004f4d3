#include "sieve/compiler/isa/isa.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "sieve/core/assert.h"

namespace sieve::compiler::isa {

namespace {

constexpr int kSlotBits = static_cast<int>(kSlotBytes) * 8;

struct Def {
  const char* mnemonic;
  Unit unit;
  uint8_t opcode;
  const char* operands;
  const char* summary;
};

constexpr Def kDefs[] = {
#define SIEVE_INSN(mn, unit, opcode, operands, summary) \
  {#mn, Unit::unit, opcode, operands, summary},
#include "sieve/compiler/isa/isa.def"
#undef SIEVE_INSN
};

Kind parse_kind(std::string_view k, std::string_view where) {
  if (k == "u") return Kind::kUnsigned;
  if (k == "s") return Kind::kSigned;
  if (k == "addr") return Kind::kAddr;
  if (k == "buf") return Kind::kBuf;
  if (k == "reg") return Kind::kReg;
  if (k == "label") return Kind::kLabel;
  SIEVE_ASSERT(false, "isa.def: {}: unknown operand kind \"{}\"", where, k);
  return Kind::kUnsigned;
}

// isa.def is part of the build: a malformed line is a broken invariant, caught by every test.
std::vector<InsnInfo> build_table() {
  std::vector<InsnInfo> table;
  std::set<int> opcodes;
  std::set<std::string> mnemonics;
  for (const Def& d : kDefs) {
    InsnInfo in;
    in.op = static_cast<Op>(d.opcode);
    in.mnemonic = d.mnemonic;
    in.unit = d.unit;
    in.summary = d.summary;
    SIEVE_ASSERT(d.opcode != 0, "isa.def: {}: opcode 0 is the empty slot", d.mnemonic);
    SIEVE_ASSERT(opcodes.insert(d.opcode).second, "isa.def: {}: opcode {:#04x} used twice",
                 d.mnemonic, d.opcode);
    SIEVE_ASSERT(mnemonics.insert(d.mnemonic).second, "isa.def: mnemonic {} used twice",
                 d.mnemonic);
    int lsb = 8;
    std::set<std::string> names;
    std::string_view rest = d.operands;
    while (!rest.empty()) {
      const size_t sp = rest.find(' ');
      std::string_view tok = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      if (tok.empty()) continue;
      const size_t c1 = tok.find(':');
      const size_t c2 = c1 == std::string_view::npos ? c1 : tok.find(':', c1 + 1);
      SIEVE_ASSERT(c2 != std::string_view::npos,
                   "isa.def: {}: operand \"{}\" is not name:kind:bits", d.mnemonic, tok);
      Field f;
      f.name = std::string(tok.substr(0, c1));
      f.kind = parse_kind(tok.substr(c1 + 1, c2 - c1 - 1), d.mnemonic);
      const std::string_view bits = tok.substr(c2 + 1);
      auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), f.bits);
      SIEVE_ASSERT(
          ec == std::errc() && p == bits.data() + bits.size() && f.bits >= 1 && f.bits <= 48,
          "isa.def: {}: operand \"{}\": bits must be 1..48", d.mnemonic, tok);
      SIEVE_ASSERT(f.kind != Kind::kBuf || f.bits >= 3, "isa.def: {}: a buf needs 3 bits",
                   d.mnemonic);
      SIEVE_ASSERT(f.kind != Kind::kReg || f.bits == 4, "isa.def: {}: a reg has 4 bits",
                   d.mnemonic);
      SIEVE_ASSERT(names.insert(f.name).second, "isa.def: {}: operand {} twice", d.mnemonic,
                   f.name);
      f.lsb = lsb;
      lsb += f.bits;
      in.fields.push_back(f);
    }
    SIEVE_ASSERT(lsb <= kSlotBits, "isa.def: {}: operands need {} bits, a slot has {}", d.mnemonic,
                 lsb - 8, kSlotBits - 8);
    SIEVE_ASSERT(static_cast<int>(in.fields.size()) <= kMaxFields,
                 "isa.def: {}: more than {} operands", d.mnemonic, kMaxFields);
    table.push_back(std::move(in));
  }
  return table;
}

struct Tables {
  std::vector<InsnInfo> insns = build_table();
  std::array<int, 256> by_opcode{};
  Tables() {
    by_opcode.fill(-1);
    for (size_t i = 0; i < insns.size(); ++i) {
      by_opcode[static_cast<uint8_t>(insns[i].op)] = static_cast<int>(i);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// Bits [lsb, lsb + bits) of a little-endian slot.
uint64_t get_bits(const std::byte* slot, int lsb, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) {
    const int b = lsb + i;
    if ((std::to_integer<unsigned>(slot[b / 8]) >> (b % 8)) & 1u) v |= uint64_t{1} << i;
  }
  return v;
}
void put_bits(std::byte* slot, int lsb, int bits, uint64_t v) {
  for (int i = 0; i < bits; ++i) {
    const int b = lsb + i;
    if ((v >> i) & 1u) slot[b / 8] |= std::byte{static_cast<unsigned char>(1u << (b % 8))};
  }
}

uint32_t crc_of(const char* data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

uint32_t read_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}
uint16_t read_u16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) |
                               (static_cast<unsigned char>(p[1]) << 8));
}
void write_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string range_text(const Field& f) {
  if (f.kind == Kind::kBuf) return "nbin, nibin, nbout, sb, sib, lut (0..5)";
  return fmt::format("{}..{}", f.min(), f.max());
}

std::string value_text(const Field& f, int64_t v) {
  switch (f.kind) {
    case Kind::kUnsigned:
    case Kind::kSigned: return fmt::format("{}", v);
    case Kind::kAddr: return fmt::format("{:#x}", v);
    case Kind::kBuf:
      return v >= 0 && v < static_cast<int64_t>(kBufferNames.size()) ? kBufferNames[v]
                                                                     : fmt::format("{}", v);
    case Kind::kReg: return fmt::format("r{}", v);
    case Kind::kLabel: return fmt::format("L{}", v);
  }
  return fmt::format("{}", v);
}

// The checks of one instruction in slot `slot`; `where` starts the message ("word 3").
Status check_insn(const Insn& in, int slot, const std::string& where, int64_t words) {
  const char* sname = unit_name(static_cast<Unit>(slot));
  if (in.empty()) {
    for (int k = 0; k < kMaxFields; ++k) {
      if (in.v[k] != 0) {
        return invalid_argument("{}, slot {}: an empty slot has operand {} = {}", where, sname, k,
                                in.v[k]);
      }
    }
    return ok_status();
  }
  const InsnInfo* ii = info(in.op);
  if (ii == nullptr) {
    return invalid_argument("{}, slot {}: field opcode = {:#04x} is not an instruction", where,
                            sname, static_cast<unsigned>(in.op));
  }
  if (static_cast<int>(ii->unit) != slot) {
    return invalid_argument("{}, slot {}: field opcode = {:#04x} ({}) belongs in slot {}", where,
                            sname, static_cast<unsigned>(in.op), ii->mnemonic, unit_name(ii->unit));
  }
  for (size_t k = 0; k < ii->fields.size(); ++k) {
    const Field& f = ii->fields[k];
    const int64_t v = in.v[k];
    if (v < f.min() || v > f.max()) {
      return invalid_argument("{}, slot {} ({}): field {} = {} out of range {}", where, sname,
                              ii->mnemonic, f.name, v, range_text(f));
    }
    if (f.kind == Kind::kLabel && words >= 0 && v >= words) {
      return invalid_argument(
          "{}, slot {} ({}): field {} = {} is past the last word {} (the program has {} words)",
          where, sname, ii->mnemonic, f.name, v, words - 1, words);
    }
  }
  for (size_t k = ii->fields.size(); k < static_cast<size_t>(kMaxFields); ++k) {
    if (in.v[k] != 0) {
      return invalid_argument("{}, slot {} ({}): operand {} = {} beyond its {} operands", where,
                              sname, ii->mnemonic, k, in.v[k], ii->fields.size());
    }
  }
  return ok_status();
}

void encode_word(const Bundle& b, std::string& out) {
  for (int s = 0; s < kSlots; ++s) {
    std::array<std::byte, kSlotBytes> slot{};
    const Insn& in = b.slot[s];
    if (!in.empty()) {
      slot[0] = static_cast<std::byte>(in.op);
      const InsnInfo* ii = info(in.op);
      for (size_t k = 0; k < ii->fields.size(); ++k) {
        const Field& f = ii->fields[k];
        const uint64_t mask = (uint64_t{1} << f.bits) - 1;
        put_bits(slot.data(), f.lsb, f.bits, static_cast<uint64_t>(in.v[k]) & mask);
      }
    }
    out.append(reinterpret_cast<const char*>(slot.data()), slot.size());
  }
}

}  // namespace

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::kLoad: return "load";
    case Unit::kStore: return "store";
    case Unit::kMatrix: return "matrix";
    case Unit::kVector: return "vector";
    case Unit::kScalar: return "scalar";
    case Unit::kControl: return "control";
  }
  return "?";
}

int64_t Field::min() const {
  if (kind == Kind::kSigned) return -(int64_t{1} << (bits - 1));
  return 0;
}
int64_t Field::max() const {
  if (kind == Kind::kSigned) return (int64_t{1} << (bits - 1)) - 1;
  if (kind == Kind::kBuf) return static_cast<int64_t>(kBufferNames.size()) - 1;
  return (int64_t{1} << bits) - 1;
}

namespace {
int field_index(const InsnInfo& ii, std::string_view name) {
  for (size_t k = 0; k < ii.fields.size(); ++k)
    if (ii.fields[k].name == name) return static_cast<int>(k);
  return -1;
}
}  // namespace

int64_t operand(const Insn& insn, std::string_view name) {
  const InsnInfo* ii = info(insn.op);
  SIEVE_ASSERT(ii != nullptr);
  const int k = field_index(*ii, name);
  SIEVE_ASSERT(k >= 0);
  return insn.v[static_cast<size_t>(k)];
}

Insn make_insn(Op op, std::initializer_list<std::pair<std::string_view, int64_t>> operands) {
  const InsnInfo* ii = info(op);
  SIEVE_ASSERT(ii != nullptr);
  Insn in;
  in.op = op;
  for (const auto& [name, value] : operands) {
    const int k = field_index(*ii, name);
    SIEVE_ASSERT(k >= 0);
    in.v[static_cast<size_t>(k)] = value;
  }
  return in;
}

std::array<int64_t, kSyncUnits> sync_counts(const Insn& insn) {
  std::array<int64_t, kSyncUnits> c;
  c.fill(kSyncNoWait);
  if (insn.op != Op::sync) return c;
  for (size_t u = 0; u < c.size(); ++u) c[u] = insn.v[u];  // isa.def: load, store, matrix, vector
  return c;
}

Insn make_sync(const std::array<int64_t, kSyncUnits>& counts) {
  Insn in;
  in.op = Op::sync;
  for (size_t u = 0; u < counts.size(); ++u) in.v[u] = counts[u];
  return in;
}

const std::vector<InsnInfo>& instructions() {
  return tables().insns;
}

const InsnInfo* info(uint8_t opcode) {
  const int i = tables().by_opcode[opcode];
  return i < 0 ? nullptr : &tables().insns[static_cast<size_t>(i)];
}
const InsnInfo* info(Op op) {
  return info(static_cast<uint8_t>(op));
}

const InsnInfo* find_mnemonic(std::string_view mnemonic) {
  for (const InsnInfo& in : instructions()) {
    if (in.mnemonic == mnemonic) return &in;
  }
  return nullptr;
}

Status validate(const Program& p) {
  if (p.words.size() > kMaxWords) {
    return invalid_argument("the program has {} words, more than {}", p.words.size(), kMaxWords);
  }
  const int64_t n = static_cast<int64_t>(p.words.size());
  for (size_t w = 0; w < p.words.size(); ++w) {
    for (int s = 0; s < kSlots; ++s) {
      SIEVE_RETURN_IF_ERROR(check_insn(p.words[w].slot[s], s, fmt::format("word {}", w), n));
    }
  }
  return ok_status();
}

std::string encode(const Program& p) {
  const Status st = validate(p);
  SIEVE_ASSERT(st.ok(), "encode: {}", st.message());
  std::string body;
  body.reserve(p.words.size() * kWordBytes);
  for (const Bundle& b : p.words) encode_word(b, body);
  std::string out(kMagic, sizeof(kMagic));
  write_le(out, kVersion, 2);
  write_le(out, kWordBytes, 2);
  write_le(out, p.words.size(), 4);
  write_le(out, crc_of(body.data(), body.size()), 4);
  return out + body;
}

Result<Bundle> decode_word(std::span<const std::byte> word, size_t index) {
  SIEVE_ASSERT(word.size() == kWordBytes, "decode_word: {} bytes", word.size());
  Bundle b;
  const std::string where = fmt::format("word {}", index);
  for (int s = 0; s < kSlots; ++s) {
    const std::byte* slot = word.data() + s * kSlotBytes;
    const uint8_t opcode = std::to_integer<uint8_t>(slot[0]);
    const char* sname = unit_name(static_cast<Unit>(s));
    int used = 8;
    const InsnInfo* ii = nullptr;
    if (opcode != 0) {
      ii = info(opcode);
      if (ii == nullptr) {
        return invalid_argument("{}, slot {}: field opcode = {:#04x} is not an instruction", where,
                                sname, opcode);
      }
      Insn& in = b.slot[s];
      in.op = ii->op;
      for (size_t k = 0; k < ii->fields.size(); ++k) {
        const Field& f = ii->fields[k];
        uint64_t raw = get_bits(slot, f.lsb, f.bits);
        int64_t v = static_cast<int64_t>(raw);
        if (f.kind == Kind::kSigned && ((raw >> (f.bits - 1)) & 1u)) {
          v = static_cast<int64_t>(raw | ~((uint64_t{1} << f.bits) - 1));
        }
        in.v[k] = v;
        used = f.lsb + f.bits;
      }
    }
    for (int bit = used; bit < kSlotBits; ++bit) {
      if (get_bits(slot, bit, 1) != 0) {
        const std::string what = ii == nullptr ? std::string("empty") : ii->mnemonic;
        return invalid_argument(
            "{}, slot {} ({}): field reserved (bits {}..{}) = bit {} set, must be zero", where,
            sname, what, used, kSlotBits - 1, bit);
      }
    }
    SIEVE_RETURN_IF_ERROR(check_insn(b.slot[s], s, where, -1));
  }
  return b;
}

Result<Program> decode(std::string_view bytes, std::string_view name) {
  auto fail = [&](const Status& s) { return s.with_context(std::string(name)); };
  if (bytes.size() < kHeaderBytes) {
    return fail(
        data_loss("header: the file has {} bytes, a header {}", bytes.size(), kHeaderBytes));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      got += fmt::format("{:02x}", static_cast<unsigned char>(bytes[static_cast<size_t>(i)]));
    }
    return fail(
        data_loss("header: field magic = 0x{} is not \"SISA\" (0x53495341): not a Sieve "
                  "program",
                  got));
  }
  const uint16_t version = read_u16(bytes.data() + 4);
  if (version != kVersion) {
    return fail(data_loss("header: field version = {} is not supported (this is version {})",
                          version, kVersion));
  }
  const uint16_t word_bytes = read_u16(bytes.data() + 6);
  if (word_bytes != kWordBytes) {
    return fail(data_loss("header: field word_bytes = {} is not {}", word_bytes, kWordBytes));
  }
  const uint32_t count = read_u32(bytes.data() + 8);
  if (count > kMaxWords) {
    return fail(data_loss("header: field word_count = {} is more than {}", count, kMaxWords));
  }
  const size_t body = bytes.size() - kHeaderBytes;
  const size_t need = static_cast<size_t>(count) * kWordBytes;
  if (body < need) {
    const size_t w = body / kWordBytes;
    const size_t have = body % kWordBytes;
    return fail(data_loss(
        "word {} is truncated: the file ends {} bytes into it (in slot {}), a "
        "word has {} (header: field word_count = {}, the file holds {} bytes "
        "of words)",
        w, have, unit_name(static_cast<Unit>(have / kSlotBytes)), kWordBytes, count, body));
  }
  if (body > need) {
    return fail(
        data_loss("{} bytes after the last word (header: word_count = {})", body - need, count));
  }
  const uint32_t stored = read_u32(bytes.data() + 12);
  const uint32_t crc = crc_of(bytes.data() + kHeaderBytes, body);
  if (stored != crc) {
    return fail(data_loss("header: field crc32 = {:#010x}, the words give {:#010x}", stored, crc));
  }
  Program p;
  p.words.reserve(count);
  const auto* base = reinterpret_cast<const std::byte*>(bytes.data() + kHeaderBytes);
  for (size_t w = 0; w < count; ++w) {
    Result<Bundle> b =
        decode_word(std::span<const std::byte>(base + w * kWordBytes, kWordBytes), w);
    if (!b.ok()) return fail(data_loss("{}", b.status().message()));
    p.words.push_back(std::move(b).value());
  }
  const Status st = validate(p);  // branch targets inside the program
  if (!st.ok()) return fail(data_loss("{}", st.message()));
  return p;
}

// ---------------------------------------------------------------------------- assembly text

std::string format_insn(const Insn& insn) {
  const InsnInfo* ii = info(insn.op);
  if (ii == nullptr) return "nop";
  std::string s = ii->mnemonic;
  for (size_t k = 0; k < ii->fields.size(); ++k) {
    s += fmt::format(" {}={}", ii->fields[k].name, value_text(ii->fields[k], insn.v[k]));
  }
  return s;
}

std::string disassemble(const Program& p) {
  return disassemble(p, {});
}

std::string disassemble(const Program& p, const std::map<size_t, std::string>& comments) {
  std::set<int64_t> targets;
  for (const Bundle& b : p.words) {
    for (const Insn& in : b.slot) {
      const InsnInfo* ii = info(in.op);
      if (ii == nullptr) continue;
      for (size_t k = 0; k < ii->fields.size(); ++k) {
        if (ii->fields[k].kind == Kind::kLabel) targets.insert(in.v[k]);
      }
    }
  }
  std::string out = fmt::format("# sieve isa version {}: {} words\n", kVersion, p.words.size());
  for (size_t w = 0; w < p.words.size(); ++w) {
    if (auto c = comments.find(w); c != comments.end()) {
      std::string_view text = c->second;
      while (!text.empty()) {  // one "# " line per line of the comment
        const size_t nl = text.find('\n');
        out += "# ";
        out += text.substr(0, nl);
        out += '\n';
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      }
    }
    if (targets.count(static_cast<int64_t>(w))) out += fmt::format("L{}:\n", w);
    std::string line;
    for (const Insn& in : p.words[w].slot) {
      if (in.empty()) continue;
      if (!line.empty()) line += " || ";
      line += format_insn(in);
    }
    out += "  ";
    out += line.empty() ? std::string("nop") : line;
    out += '\n';
  }
  return out;
}

namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
bool is_ident(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A decimal or 0x-hex number, optionally negative; nullopt when it is not one or overflows.
std::optional<int64_t> parse_number(std::string_view t) {
  bool neg = false;
  if (!t.empty() && t.front() == '-') {
    neg = true;
    t.remove_prefix(1);
  }
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  if (t.empty()) return std::nullopt;
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), u, base);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  if (u > (uint64_t{1} << 62)) return std::nullopt;
  const int64_t v = static_cast<int64_t>(u);
  return neg ? -v : v;
}

struct Fixup {
  size_t word;
  int slot;
  size_t field;
  std::string label;
  size_t line;
};

}  // namespace

Result<Program> assemble(std::string_view text, std::string_view file) {
  Program p;
  std::map<std::string, size_t, std::less<>> labels;
  std::vector<Fixup> fixups;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    auto err = [&](const Status& s) {
      return Status(s.code(), fmt::format("{}:{}: {}", file, line_no, s.message()));
    };
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    // Labels: "name:" at the start of the line (several allowed).
    while (!line.empty() && is_ident_start(line.front())) {
      size_t i = 1;
      while (i < line.size() && is_ident(line[i])) ++i;
      if (i >= line.size() || line[i] != ':') break;
      const std::string name(line.substr(0, i));
      if (auto it = labels.find(name); it != labels.end()) {
        return err(invalid_argument("label {} is defined twice (it is word {})", name, it->second));
      }
      labels.emplace(name, p.words.size());
      line = trim(line.substr(i + 1));
    }
    if (line.empty()) continue;
    if (p.words.size() >= kMaxWords) {
      return err(invalid_argument("more than {} words", kMaxWords));
    }
    Bundle b;
    std::array<std::string, kSlots> taken;
    size_t ipos = 0;
    bool nop = false;
    int count = 0;
    while (ipos <= line.size()) {
      // The next separator: "||" or ";".
      size_t bar = line.find("||", ipos);
      size_t semi = line.find(';', ipos);
      size_t sep = std::min(bar, semi);
      size_t sep_len = sep == bar ? 2 : 1;
      if (sep == std::string_view::npos) {
        sep = line.size();
        sep_len = 1;
      }
      std::string_view part = trim(line.substr(ipos, sep - ipos));
      ipos = sep + sep_len;
      if (part.empty()) {
        return err(invalid_argument("an empty instruction between separators"));
      }
      ++count;
      size_t sp = part.find_first_of(" \t");
      const std::string_view mn = part.substr(0, sp);
      std::string_view ops = sp == std::string_view::npos ? std::string_view() : part.substr(sp);
      if (mn == "nop") {
        if (!trim(ops).empty()) return err(invalid_argument("nop takes no operands"));
        nop = true;
        continue;
      }
      const InsnInfo* ii = find_mnemonic(mn);
      if (ii == nullptr) {
        return err(invalid_argument("unknown instruction \"{}\"", mn));
      }
      const int slot = static_cast<int>(ii->unit);
      if (!taken[slot].empty()) {
        return err(invalid_argument("{} and {} both need slot {}: a word holds one {} instruction",
                                    taken[slot], ii->mnemonic, unit_name(ii->unit),
                                    unit_name(ii->unit)));
      }
      taken[slot] = ii->mnemonic;
      Insn& in = b.slot[slot];
      in.op = ii->op;
      std::vector<bool> seen(ii->fields.size(), false);
      while (true) {
        ops = trim(ops);
        if (ops.empty()) break;
        const size_t end = ops.find_first_of(" \t");
        const std::string_view tok = ops.substr(0, end);
        ops = end == std::string_view::npos ? std::string_view() : ops.substr(end);
        const size_t eq = tok.find('=');
        if (eq == std::string_view::npos) {
          return err(invalid_argument("{}: operand \"{}\" is not name=value", ii->mnemonic, tok));
        }
        const std::string_view name = tok.substr(0, eq), val = tok.substr(eq + 1);
        size_t k = 0;
        while (k < ii->fields.size() && ii->fields[k].name != name) ++k;
        if (k == ii->fields.size()) {
          std::string valid;
          for (const Field& f : ii->fields) {
            if (!valid.empty()) valid += ", ";
            valid += f.name;
          }
          return err(invalid_argument("{}: unknown field \"{}\" (fields: {})", ii->mnemonic, name,
                                      valid.empty() ? "none" : valid));
        }
        if (seen[k]) return err(invalid_argument("{}: field {} given twice", ii->mnemonic, name));
        seen[k] = true;
        const Field& f = ii->fields[k];
        std::optional<int64_t> v;
        switch (f.kind) {
          case Kind::kUnsigned:
          case Kind::kSigned:
          case Kind::kAddr: v = parse_number(val); break;
          case Kind::kBuf:
            for (size_t i = 0; i < kBufferNames.size(); ++i) {
              if (val == kBufferNames[i]) v = static_cast<int64_t>(i);
            }
            break;
          case Kind::kReg:
            if (val.size() >= 2 && val[0] == 'r' && val[1] != '-') v = parse_number(val.substr(1));
            break;
          case Kind::kLabel: {
            bool ok = !val.empty() && is_ident_start(val.front());
            for (char c : val) ok = ok && is_ident(c);
            if (!ok) {
              return err(invalid_argument("{}: field {} = \"{}\" is not a label", ii->mnemonic,
                                          f.name, val));
            }
            fixups.push_back({p.words.size(), slot, k, std::string(val), line_no});
            v = 0;
            break;
          }
        }
        if (!v) {
          const char* want = f.kind == Kind::kBuf   ? "a buffer (nbin, nibin, nbout, sb, sib)"
                             : f.kind == Kind::kReg ? "a register r0..r15"
                                                    : "a number";
          return err(
              invalid_argument("{}: field {} = \"{}\" is not {}", ii->mnemonic, f.name, val, want));
        }
        if (*v < f.min() || *v > f.max()) {
          return err(invalid_argument("{}: field {} = {} out of range {}", ii->mnemonic, f.name,
                                      val, range_text(f)));
        }
        in.v[k] = *v;
      }
      for (size_t k = 0; k < ii->fields.size(); ++k) {
        if (!seen[k]) {
          return err(invalid_argument("{}: field {} is missing", ii->mnemonic, ii->fields[k].name));
        }
      }
    }
    if (nop && count > 1) {
      return err(invalid_argument("nop shares a word with other instructions"));
    }
    p.words.push_back(b);
  }
  for (const Fixup& f : fixups) {
    const auto it = labels.find(f.label);
    const InsnInfo* ii = info(p.words[f.word].slot[f.slot].op);
    if (it == labels.end()) {
      return invalid_argument("{}:{}: {}: field {} = {}: no such label", file, f.line, ii->mnemonic,
                              ii->fields[f.field].name, f.label);
    }
    if (it->second >= p.words.size()) {
      return invalid_argument("{}:{}: {}: field {} = {}: the label is after the last word", file,
                              f.line, ii->mnemonic, ii->fields[f.field].name, f.label);
    }
    p.words[f.word].slot[f.slot].v[f.field] = static_cast<int64_t>(it->second);
  }
  const Status st = validate(p);
  if (!st.ok()) return st.with_context(std::string(file));
  return p;
}

}  // namespace sieve::compiler::isa
