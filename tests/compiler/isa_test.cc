// The instruction set (src/sieve/compiler/isa): every instruction of isa.def round-trips
// through the binary and the text with its operands at their minimum and maximum; corrupt
// binaries and bad assembly are errors naming the word (or line), the field and the value;
// the slot rules of the VLIW word.
#include "sieve/compiler/isa/isa.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.h"

namespace sieve::compiler::isa {
namespace {

using ::testing::HasSubstr;

// Generated from isa.def: a new line there is covered here with no edit.
const char* const kMnemonics[] = {
#define SIEVE_INSN(mn, unit, opcode, operands, summary) #mn,
#include "sieve/compiler/isa/isa.def"
#undef SIEVE_INSN
};

constexpr size_t kWords = 3;  // the program the round trips use: labels reach word 2

// A program of kWords words whose word 0 holds `in` in its slot.
Program one(const Insn& in) {
  Program p;
  p.words.resize(kWords);
  p.words[0].slot[static_cast<int>(info(in.op)->unit)] = in;
  return p;
}

int64_t field_min(const Field& f) {
  return f.min();
}
int64_t field_max(const Field& f) {
  return f.kind == Kind::kLabel ? static_cast<int64_t>(kWords) - 1 : f.max();
}

// The operand variants of an instruction: all at minimum, all at maximum, and each field at
// its maximum with the others at minimum (and the reverse).
std::vector<Insn> variants(const InsnInfo& ii) {
  std::vector<Insn> out;
  Insn lo, hi;
  lo.op = hi.op = ii.op;
  for (size_t k = 0; k < ii.fields.size(); ++k) {
    lo.v[k] = field_min(ii.fields[k]);
    hi.v[k] = field_max(ii.fields[k]);
  }
  out.push_back(lo);
  out.push_back(hi);
  for (size_t k = 0; k < ii.fields.size(); ++k) {
    Insn a = lo, b = hi;
    a.v[k] = hi.v[k];
    b.v[k] = lo.v[k];
    out.push_back(a);
    out.push_back(b);
  }
  return out;
}

std::string with_crc(std::string bin) {
  const uint32_t crc =
      static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bin.data() + kHeaderBytes),
                                  static_cast<uInt>(bin.size() - kHeaderBytes)));
  for (int i = 0; i < 4; ++i) bin[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return bin;
}

Program assemble_ok(const std::string& text) {
  Result<Program> p = assemble(text, "t.s");
  EXPECT_TRUE(p.ok()) << p.status().to_string() << "\n" << text;
  return p.ok() ? p.value() : Program{};
}

std::string asm_error(const std::string& text) {
  Result<Program> p = assemble(text, "t.s");
  EXPECT_FALSE(p.ok()) << text;
  return p.ok() ? "" : p.status().message();
}

std::string decode_error(const std::string& bin) {
  Result<Program> p = decode(bin, "t.bin");
  EXPECT_FALSE(p.ok());
  return p.ok() ? "" : p.status().message();
}

const std::string kLd = "ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=16";
const std::string kSt = "st buf=nbout half=1 idx=0 off=0 base=r0 addr=0x100 bytes=16";

class EveryInstruction : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryInstruction, RoundTripsAtMinAndMax) {
  const InsnInfo* ii = find_mnemonic(GetParam());
  ASSERT_NE(ii, nullptr);
  for (const Insn& in : variants(*ii)) {
    const Program p = one(in);
    ASSERT_TRUE(validate(p).ok()) << validate(p).to_string();
    // asm -> bin -> asm
    const std::string text = disassemble(p);
    SCOPED_TRACE(text);
    const Program from_text = assemble_ok(text);
    EXPECT_EQ(from_text, p);
    const std::string bin = encode(from_text);
    Result<Program> back = decode(bin, "t.bin");
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back.value(), p);
    EXPECT_EQ(disassemble(back.value()), text);
    // bin -> asm -> bin
    EXPECT_EQ(encode(assemble_ok(disassemble(back.value()))), bin);
    EXPECT_EQ(bin.size(), kHeaderBytes + kWords * kWordBytes);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, EveryInstruction, ::testing::ValuesIn(kMnemonics),
                         [](const auto& info) { return std::string(info.param); });

TEST(Isa, TableIsConsistent) {
  ASSERT_EQ(instructions().size(), std::size(kMnemonics));
  for (const InsnInfo& ii : instructions()) {
    EXPECT_EQ(info(ii.op), &ii);
    EXPECT_EQ(find_mnemonic(ii.mnemonic), &ii);
    for (const Field& f : ii.fields) {
      EXPECT_LE(f.lsb + f.bits, static_cast<int>(kSlotBytes) * 8) << ii.mnemonic << " " << f.name;
    }
  }
  EXPECT_EQ(info(uint8_t{0}), nullptr);
  EXPECT_EQ(kWordBytes, 96u);
}

TEST(Isa, FullWordRoundTrips) {
  const std::string text =
      "# sieve isa version 1: 2 words\n"
      "L0:\n"
      "  " +
      kLd + " || " + kSt +
      " || mxv in=1 w=1 out=0 groups=16 vecs=28 col=64 cols=64 acc=1 nidx=1 sidx=1 wdm=0 enc=1"
      " || lstm half=1 gates=0 cell=4096 h=6144 n=512 || saddi rd=r2 ra=r2 imm=-1"
      " || bnz ra=r2 target=L0\n"
      "  halt\n";
  const Program p = assemble_ok(text);
  ASSERT_EQ(p.words.size(), 2u);
  EXPECT_EQ(disassemble(p), text);
  for (int s = 0; s < kSlots; ++s) EXPECT_FALSE(p.words[0].slot[s].empty()) << s;
  Result<Program> back = decode(encode(p), "t.bin");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back.value(), p);
}

TEST(Isa, BinaryLayoutIsLittleEndian) {
  const Program p =
      assemble_ok("ld buf=sb half=1 idx=1 off=3 base=r5 addr=0x123456789a bytes=4096\nhalt\n");
  const std::string bin = encode(p);
  ASSERT_EQ(bin.size(), kHeaderBytes + 2 * kWordBytes);
  EXPECT_EQ(bin.substr(0, 4), "SISA");
  EXPECT_EQ(bin[4], 1);  // version 1, little-endian
  EXPECT_EQ(bin[5], 0);
  EXPECT_EQ(bin[6], 96);  // word bytes
  EXPECT_EQ(bin[8], 2);   // word count
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bin[kHeaderBytes + i]); };
  EXPECT_EQ(byte(0), 0x01);  // ld
  // bits 8..10 buf=3, 11 half=1, 12 idx=1, 13..32 off=3, 33..36 base=5, 37..76 addr, 77..100
  // bytes: byte 1 = buf 3 (bits 0..2), half (bit 3), idx (bit 4), off's low 3 bits (5..7).
  EXPECT_EQ(byte(1), 0x03 | 0x08 | 0x10 | 0x60);
  EXPECT_EQ(byte(kSlotBytes * 5), 0x00);               // control slot of word 0: empty
  EXPECT_EQ(byte(kWordBytes + kSlotBytes * 5), 0x43);  // halt in word 1's control slot
  EXPECT_EQ(byte(kWordBytes), 0x00);                   // word 1's load slot: empty
}

TEST(Isa, CanonicalTextAcceptsBothSeparatorsCommentsAndAnyOperandOrder) {
  const Program p = assemble_ok(
      "start:  # a label and a comment\n"
      "  " +
      kLd + " ; " + kSt +
      "   # a load and a store issue together\n"
      "\n"
      "  sync load=0 store=0 matrix=15 vector=15 || sset imm=-5 rd=r15\n"
      "two: three: jmp target=three\n");
  EXPECT_EQ(disassemble(p),
            "# sieve isa version 1: 3 words\n"
            "  " +
                kLd + " || " + kSt +
                "\n"
                "  sset rd=r15 imm=-5 || sync load=0 store=0 matrix=15 vector=15\n"
                "L2:\n"
                "  jmp target=L2\n");
}

TEST(Isa, EmptyWordIsNop) {
  const Program p = assemble_ok("nop\n  nop  # two\n");
  ASSERT_EQ(p.words.size(), 2u);
  EXPECT_EQ(p.words[0], Bundle{});
  EXPECT_EQ(disassemble(p), "# sieve isa version 1: 2 words\n  nop\n  nop\n");
}

// The slot rules of the multi-issue controller (thesis §4.2.3).
TEST(IsaSlots, LoadWithStoreAndComputeOnDifferentUnitsIssueTogether) {
  const Program p =
      assemble_ok(kLd + " || " + kSt + " || relu buf=nbout half=0 off=0 n=8 || sset rd=r1 imm=1");
  EXPECT_FALSE(p.words[0].slot[static_cast<int>(Unit::kLoad)].empty());
  EXPECT_FALSE(p.words[0].slot[static_cast<int>(Unit::kStore)].empty());
}

TEST(IsaSlots, TwoLoadsAreRefused) {
  EXPECT_THAT(asm_error(kLd + " || " + kLd),
              HasSubstr("t.s:1: ld and ld both need slot load: a word holds one load"));
}

TEST(IsaSlots, TwoStoresTwoVectorOpsTwoBranchesAreRefused) {
  EXPECT_THAT(asm_error(kSt + " ; " + kSt), HasSubstr("both need slot store"));
  EXPECT_THAT(asm_error("relu buf=nbout half=0 off=0 n=8 ; pmax src=0 dst=0 ch=1 h=2 w=2 kh=2 "
                        "kw=2 sh=2 sw=2"),
              HasSubstr("relu and pmax both need slot vector"));
  EXPECT_THAT(asm_error("halt || sync load=0 store=0 matrix=0 vector=0"), HasSubstr("halt and sync both need slot control"));
  EXPECT_THAT(asm_error("sset rd=r1 imm=0 || sadd rd=r1 ra=r1 rb=r1"), HasSubstr("slot scalar"));
  EXPECT_THAT(asm_error("nop || halt"), HasSubstr("nop shares a word"));
}

TEST(IsaSlots, InstructionInTheWrongSlotIsRefused) {
  Program p;
  p.words.resize(1);
  p.words[0].slot[static_cast<int>(Unit::kStore)].op = Op::ld;
  EXPECT_THAT(validate(p).message(),
              HasSubstr("word 0, slot store: field opcode = 0x01 (ld) belongs in slot load"));
  // The same in a hand-made binary.
  std::string bin = encode(Program{std::vector<Bundle>(1)});
  bin[kHeaderBytes + kSlotBytes] = 0x01;
  EXPECT_THAT(
      decode_error(with_crc(bin)),
      HasSubstr("t.bin: word 0, slot store: field opcode = 0x01 (ld) belongs in slot load"));
}

// Bad assembly: each error names the file, the line, the instruction, the field, the value.
TEST(IsaAsmErrors, NameLineFieldAndValue) {
  EXPECT_THAT(asm_error("halt\n  ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=16777216"),
              HasSubstr("t.s:2: ld: field bytes = 16777216 out of range 0..16777215"));
  EXPECT_THAT(asm_error("ld buf=nbin half=2 idx=0 off=0 base=r0 addr=0x0 bytes=1"),
              HasSubstr("t.s:1: ld: field half = 2 out of range 0..1"));
  EXPECT_THAT(asm_error("ld buf=nbin half=-1 idx=0 off=0 base=r0 addr=0x0 bytes=1"),
              HasSubstr("field half = -1 out of range 0..1"));
  EXPECT_THAT(asm_error("saddi rd=r1 ra=r1 imm=2147483648"),
              HasSubstr("saddi: field imm = 2147483648 out of range -2147483648..2147483647"));
  EXPECT_THAT(asm_error("ld buf=nbuf half=0 idx=0 off=0 base=r0 addr=0x0 bytes=1"),
              HasSubstr("ld: field buf = \"nbuf\" is not a buffer"));
  EXPECT_THAT(asm_error("sadd rd=r16 ra=r0 rb=r0"),
              HasSubstr("sadd: field rd = r16 out of range 0..15"));
  EXPECT_THAT(asm_error("sadd rd=x1 ra=r0 rb=r0"),
              HasSubstr("field rd = \"x1\" is not a register"));
  EXPECT_THAT(asm_error("relu buf=nbout half=0 off=0 n=zz"),
              HasSubstr("relu: field n = \"zz\" is not a number"));
  EXPECT_THAT(asm_error("vconv n=3"), HasSubstr("t.s:1: unknown instruction \"vconv\""));
  EXPECT_THAT(asm_error("relu buf=nbout half=0 off=0"), HasSubstr("relu: field n is missing"));
  EXPECT_THAT(asm_error("relu buf=nbout half=0 off=0 n=1 n=2"),
              HasSubstr("relu: field n given twice"));
  EXPECT_THAT(asm_error("relu buf=nbout half=0 offset=0 n=1"),
              HasSubstr("relu: unknown field \"offset\" (fields: buf, half, off, n)"));
  EXPECT_THAT(asm_error("relu buf=nbout half 0"), HasSubstr("operand \"half\" is not name=value"));
  EXPECT_THAT(asm_error("halt ||"), HasSubstr("an empty instruction between separators"));
  EXPECT_THAT(asm_error("jmp target=nowhere"),
              HasSubstr("t.s:1: jmp: field target = nowhere: no such label"));
  EXPECT_THAT(asm_error("jmp target=end\nend:\n"),
              HasSubstr("t.s:1: jmp: field target = end: the label is after the last word"));
  EXPECT_THAT(asm_error("a:\nhalt\na: halt"), HasSubstr("t.s:3: label a is defined twice"));
  EXPECT_THAT(asm_error("jmp target=3x"), HasSubstr("field target = \"3x\" is not a label"));
}

// Corrupt binaries: each error names the word (or the header), the field and the value.
class IsaBinary : public ::testing::Test {
 protected:
  // Two words: a load with a store, then halt.
  std::string good = encode(assemble_ok(kLd + " || " + kSt + "\nhalt\n"));
};

TEST_F(IsaBinary, GoodFileDecodes) {
  Result<Program> p = decode(good, "t.bin");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p.value().words.size(), 2u);
}

TEST_F(IsaBinary, BadOpcode) {
  std::string bin = good;
  bin[kHeaderBytes + kWordBytes + 2 * kSlotBytes] = 0x7f;  // word 1, matrix slot
  EXPECT_THAT(decode_error(with_crc(bin)),
              HasSubstr("t.bin: word 1, slot matrix: field opcode = 0x7f is not an instruction"));
}

TEST_F(IsaBinary, OperandOutOfRange) {
  std::string bin = good;
  bin[kHeaderBytes + 1] |= 0x07;  // word 0, ld's buf (bits 8..10) = 7
  EXPECT_THAT(decode_error(with_crc(bin)),
              HasSubstr("t.bin: word 0, slot load (ld): field buf = 7 out of range "
                        "nbin, nibin, nbout, sb, sib, lut (0..5)"));
}

TEST_F(IsaBinary, ReservedBitsSet) {
  std::string bin = good;
  bin[kHeaderBytes + kWordBytes + 5 * kSlotBytes + 15] = 0x01;  // word 1, halt, bit 120
  EXPECT_THAT(decode_error(with_crc(bin)),
              HasSubstr("word 1, slot control (halt): field reserved (bits 8..127) = bit 120 set"));
  bin = good;
  bin[kHeaderBytes + 3 * kSlotBytes + 4] = 0x10;  // word 0, empty vector slot
  EXPECT_THAT(decode_error(with_crc(bin)),
              HasSubstr("word 0, slot vector (empty): field reserved (bits 8..127) = bit 36"));
}

TEST_F(IsaBinary, BranchPastTheEnd) {
  std::string bin = encode(assemble_ok("a: jmp target=a\nhalt\n"));
  bin[kHeaderBytes + 5 * kSlotBytes + 1] = 0x05;  // target = 5
  EXPECT_THAT(decode_error(with_crc(bin)),
              HasSubstr("word 0, slot control (jmp): field target = 5 is past the last word 1"));
}

TEST_F(IsaBinary, TruncatedWord) {
  const std::string bin = good.substr(0, good.size() - 40);
  EXPECT_THAT(decode_error(bin),
              HasSubstr("t.bin: word 1 is truncated: the file ends 56 bytes into it (in slot "
                        "vector), a word has 96 (header: field word_count = 2"));
}

TEST_F(IsaBinary, HeaderErrors) {
  EXPECT_THAT(decode_error(good.substr(0, 10)),
              HasSubstr("t.bin: header: the file has 10 bytes, a header 16"));
  std::string bin = good;
  bin[0] = 'X';
  EXPECT_THAT(decode_error(bin), HasSubstr("t.bin: header: field magic = 0x58495341"));
  bin = good;
  bin[4] = 2;
  EXPECT_THAT(decode_error(bin), HasSubstr("header: field version = 2 is not supported"));
  bin = good;
  bin[6] = 64;
  EXPECT_THAT(decode_error(bin), HasSubstr("header: field word_bytes = 64 is not 96"));
  bin = good;
  bin[12] ^= 0x01;
  EXPECT_THAT(decode_error(bin), HasSubstr("header: field crc32 = 0x"));
  bin = good + "x";
  EXPECT_THAT(decode_error(bin), HasSubstr("1 bytes after the last word"));
}

TEST_F(IsaBinary, HugeWordCount) {
  std::string bin = good;
  for (int i = 8; i < 12; ++i) bin[i] = static_cast<char>(0xff);
  EXPECT_THAT(decode_error(bin),
              HasSubstr("header: field word_count = 4294967295 is more than 16777216"));
  bin[11] = 0;  // 16777215 words declared, 2 present: refused before any allocation
  EXPECT_THAT(decode_error(bin), HasSubstr("word 2 is truncated: the file ends 0 bytes into it"));
}

// The committed seed tests/data/fuzz-regressions/isa/valid-example.bin is what `sieve asm`
// makes of tests/data/isa/example.s; through the CLI, asm -> bin -> asm -> bin is identical.
class IsaCli : public sieve_test::ScratchDirTest {};

TEST_F(IsaCli, AsmDisasmRoundTrip) {
  const std::string data = SIEVE_TEST_DATA_DIR;
  const std::string bin = (dir_ / "example.bin").string(), text = (dir_ / "example.s").string();
  const std::string bin2 = (dir_ / "again.bin").string();
  sieve_test::CliRun r = sieve_test::run_sieve("asm " + data + "/isa/example.s -o " + bin);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.stdout_only, HasSubstr("example.bin: 8 words, 784 bytes"));
  EXPECT_EQ(sieve_test::slurp_file(bin),
            sieve_test::slurp_file(data + "/fuzz-regressions/isa/valid-example.bin"));
  r = sieve_test::run_sieve("disasm " + bin);
  ASSERT_EQ(r.rc, 0) << r.out;
  { std::ofstream(text) << r.stdout_only; }
  const std::string canonical = r.stdout_only;
  r = sieve_test::run_sieve("asm " + text + " -o " + bin2);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(sieve_test::slurp_file(bin2), sieve_test::slurp_file(bin));
  r = sieve_test::run_sieve("disasm " + bin2);
  EXPECT_EQ(r.stdout_only, canonical);
}

TEST_F(IsaCli, FailedAsmLeavesNoFile) {
  const std::string out = (dir_ / "never.bin").string();
  const sieve_test::CliRun r =
      sieve_test::run_sieve(fmt::format("asm {}/isa/two-loads.s -o {}", SIEVE_TEST_DATA_DIR, out));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.stderr_only, HasSubstr("sieve: error: "));
  EXPECT_THAT(r.stderr_only, HasSubstr("two-loads.s:2: ld and ld both need slot load"));
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

// Every mnemonic of isa.def has its row in docs/formats/isa.md.
TEST(Isa, EveryInstructionIsDocumented) {
  const std::string doc =
      sieve_test::slurp_file(std::string(SIEVE_SOURCE_DIR) + "/docs/formats/isa.md");
  ASSERT_FALSE(doc.empty());
  for (const char* mn : kMnemonics) EXPECT_THAT(doc, HasSubstr(fmt::format("| `{}` |", mn)));
}

}  // namespace
}  // namespace sieve::compiler::isa
