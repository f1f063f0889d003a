// The litmus engine: herd's syntax, the two models, herd7's counts and output. Every expected
// verdict comes from ordering.md's table or from herd7's own output (tests/litmus/herd7/, the
// five examples of ../shared/spec/litmus), never from running the engine.
#include "ordering/litmus_check.hpp"
#include "ordering/litmus_parser.hpp"
#include "ordering/litmus_print.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

using namespace ringside::ordering;
using LitmusTest = ringside::ordering::Test; // not testing::Test

namespace {

const std::string kDir = RINGSIDE_LITMUS_DIR;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// herd7's output without the Hash line, which Ringside does not print.
std::string without_hash(const std::string& out) {
    std::istringstream in(out);
    std::string line, kept;
    while (std::getline(in, line))
        if (line.rfind("Hash=", 0) != 0)
            kept += line + "\n";
    return kept;
}

std::string verdict(const LitmusTest& t, Model m) {
    const CheckResult r = check_litmus(t, m);
    return r.positive == 0 ? "Never" : r.negative == 0 ? "Always" : "Sometimes";
}

LitmusTest parse(const std::string& text) {
    return parse_litmus(text, "inline.litmus");
}

LitmusError parse_error(const std::string& text) {
    try {
        LitmusTest t = parse(text);
        check_litmus(t, default_model(t));
    } catch (const LitmusError& e) {
        return e;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return LitmusError(-1, "");
}

} // namespace

// The five examples: herd7 7.58's whole output, byte for byte (its Time line was removed from
// the files; its Hash line is the one line Ringside does not print).
class HerdExample : public ::testing::TestWithParam<const char*> {};

TEST_P(HerdExample, OutputMatchesHerd7) {
    const std::string name = GetParam();
    const LitmusTest t = load_litmus(kDir + "/herd7/" + name + ".litmus");
    const std::string expected = slurp(kDir + "/herd7/" + name + ".herd7.out");
    const CheckResult r = check_litmus(t, default_model(t));
    EXPECT_EQ(herd_report(t, r), without_hash(expected));
    EXPECT_NE(expected.find(observation_line(t, r) + "\n"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Herd7, HerdExample,
                         ::testing::Values("MP", "2+2W", "IRIW+addrs", "LB+datas", "X86-SB"),
                         [](const auto& info) {
                             std::string s = info.param;
                             for (char& c : s)
                                 if (!std::isalnum(static_cast<unsigned char>(c)))
                                     c = '_';
                             return s;
                         });

// ordering.md, "Verdicts that must hold": every row, each model the table gives.
struct Row {
    const char* file;
    Model model;
    bool allowed;
};

class VerdictTable : public ::testing::TestWithParam<Row> {};

TEST_P(VerdictTable, AsTheSpecSays) {
    const Row row = GetParam();
    const LitmusTest t = load_litmus(kDir + "/" + row.file);
    ASSERT_EQ(t.quantifier, Quantifier::Exists);
    EXPECT_EQ(verdict(t, row.model), row.allowed ? "Sometimes" : "Never")
        << row.file << (row.model == Model::Tso ? " as TSO" : " as ARMv8");
}

INSTANTIATE_TEST_SUITE_P(
    OrderingMd, VerdictTable,
    ::testing::Values(
        // MP (plain both sides): TSO forbidden, ARMv8 allowed
        Row{"spec/X86-MP.litmus", Model::Tso, false}, Row{"spec/MP.litmus", Model::Tso, false},
        Row{"spec/MP.litmus", Model::Armv8, true},
        // MP + DMB ISHST on the writer, plain reads: ARMv8 allowed
        Row{"spec/MP+dmb.st.litmus", Model::Armv8, true},
        // MP + DMB ISHST + LDAR flag: ARMv8 forbidden
        Row{"spec/MP+dmb.st+ldar.litmus", Model::Armv8, false},
        // MP + STLR flag + LDAR flag: ARMv8 forbidden
        Row{"spec/MP+stlr+ldar.litmus", Model::Armv8, false},
        // MP + DMB ISHST + address dependency on the reader: ARMv8 forbidden
        Row{"spec/MP+dmb.st+addr.litmus", Model::Armv8, false},
        // SB: allowed on both
        Row{"herd7/X86-SB.litmus", Model::Tso, true}, Row{"spec/SB.litmus", Model::Tso, true},
        Row{"spec/SB.litmus", Model::Armv8, true},
        // SB + full fences (MFENCE / DMB ISH): forbidden on both
        Row{"spec/X86-SB+mfences.litmus", Model::Tso, false},
        Row{"spec/SB+dmbs.litmus", Model::Tso, false},
        Row{"spec/SB+dmbs.litmus", Model::Armv8, false},
        // LB, plain: TSO forbidden, ARMv8 allowed
        Row{"spec/X86-LB.litmus", Model::Tso, false}, Row{"spec/LB.litmus", Model::Tso, false},
        Row{"spec/LB.litmus", Model::Armv8, true},
        // LB + data dependencies both sides: forbidden on both
        Row{"herd7/LB+datas.litmus", Model::Tso, false},
        Row{"herd7/LB+datas.litmus", Model::Armv8, false},
        // IRIW + address dependencies on the readers: forbidden on both
        Row{"spec/X86-IRIW.litmus", Model::Tso, false},
        Row{"herd7/IRIW+addrs.litmus", Model::Tso, false},
        Row{"herd7/IRIW+addrs.litmus", Model::Armv8, false}));

// herdtools7's own AArch64 catalogue (catalogue/aarch64/tests, verdicts from its kinds.txt):
// the tests that tell aarch64.cat's lrs (a dependency through a po-earlier store to the same
// location) and B.EQ control dependencies apart.
INSTANTIATE_TEST_SUITE_P(
    HerdtoolsKinds, VerdictTable,
    ::testing::Values(Row{"herd-catalogue/LB+BEQ4.litmus", Model::Armv8, false},
                      Row{"herd-catalogue/LB+rel+BEQ.litmus", Model::Armv8, true},
                      Row{"herd-catalogue/LB+rel+BEQ2.litmus", Model::Armv8, false},
                      Row{"herd-catalogue/LB+rel+BEQ3.litmus", Model::Armv8, true},
                      Row{"herd-catalogue/MP+rel+addr-po-loc-addr.litmus", Model::Armv8, true},
                      Row{"herd-catalogue/MP+rel+addr-lrs-acq.litmus", Model::Armv8, false},
                      Row{"herd-catalogue/MP+rel+data-lrs-acq.litmus", Model::Armv8, false},
                      Row{"herd-catalogue/MP+rel+ctrl-lrs-acq.litmus", Model::Armv8, true}));

TEST(LitmusSyntax, TypedInitCommentsInfoLinesAndMemoryTerms) {
    const LitmusTest t = parse(R"((* a comment (* nested *) before the header *)
AArch64 Typed
"a doc string"
Hash=0123
Cycle=Rfe PodRR Fre
{
uint32_t flags=1; int64_t y; 0:X1=flags; 0:W3=y;
}
 P0           ;
 LDR W0,[X1]  ; (* reads flags *)
 STR W0,[X3]  ;
forall
  ([y]=1 /\ flags=1 /\ 0:X0=1)
)");
    EXPECT_EQ(t.name, "Typed");
    ASSERT_EQ(t.locations.size(), 2u);
    EXPECT_EQ(t.locations[0].name, "flags");
    EXPECT_EQ(t.locations[0].init.num, 1);
    EXPECT_EQ(t.quantifier, Quantifier::Forall);
    EXPECT_EQ(condition_text(t), "forall ([y]=1 /\\ [flags]=1 /\\ 0:X0=1)");
    const CheckResult r = check_litmus(t, default_model(t));
    EXPECT_EQ(r.positive, 1u);
    EXPECT_EQ(r.negative, 0u);
    const std::string report = herd_report(t, r);
    EXPECT_EQ(report.substr(0, report.find('\n')), "Test Typed Required");
    EXPECT_NE(report.find("\n0:X0=1; [flags]=1; [y]=1;\nOk\n"), std::string::npos);
    EXPECT_EQ(observation_line(t, r), "Observation Typed Always 1 0");
}

// herd's precedence (\/ loosest, then /\, then =>, ~ tightest) and ConstrGen's printing:
// parentheses only where an operator binds looser than its context, `not (...)` for ~.
TEST(LitmusSyntax, ConditionPrecedenceAndPrinting) {
    const std::string head = "AArch64 C\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\n";
    EXPECT_EQ(condition_text(parse(head + "exists (x=1 \\/ y=1 /\\ ~0:X0=2)")),
              "exists ([x]=1 \\/ [y]=1 /\\ not (0:X0=2))");
    EXPECT_EQ(condition_text(parse(head + "exists ((x=1 \\/ y=1) /\\ 0:X0=0)")),
              "exists (([x]=1 \\/ [y]=1) /\\ 0:X0=0)");
    EXPECT_EQ(condition_text(parse(head + "~exists (0:X0 != 1)")), "~exists (not (0:X0=1))");
    EXPECT_EQ(condition_text(parse(head + "exists 0:X0=0 \\/ [x]=0")), "exists (0:X0=0 \\/ [x]=0)");
}

// ~exists: herd counts Positive/Negative for the condition as written (the executions that
// avoid the proposition are its witnesses) but Observation for the proposition itself.
TEST(LitmusCounts, NotExistsSwapsWitnessesNotObservation) {
    LitmusTest t = load_litmus(kDir + "/herd7/MP.litmus");
    t.quantifier = Quantifier::NotExists;
    const CheckResult r = check_litmus(t, Model::Armv8);
    const std::string report = herd_report(t, r);
    EXPECT_EQ(report.substr(0, report.find('\n')), "Test MP Forbidden");
    EXPECT_NE(report.find("\nNo\nWitnesses\nPositive: 3 Negative: 1\n"), std::string::npos);
    EXPECT_NE(report.find("\nCondition ~exists (1:X0=1 /\\ 1:X2=0)\n"), std::string::npos);
    EXPECT_NE(report.find("\nObservation MP Sometimes 1 3\n"), std::string::npos);
    const CheckResult tso = check_litmus(t, Model::Tso);
    EXPECT_TRUE(tso.validated(Quantifier::NotExists));
    EXPECT_NE(herd_report(t, tso).find("\nOk\nWitnesses\nPositive: 3 Negative: 0\n"),
              std::string::npos);
}

// herd counts executions, not states: two writers of the same value give a read two sources.
TEST(LitmusCounts, ExecutionsNotStates) {
    const LitmusTest t = parse(R"(AArch64 TwoSources
{ 0:X1=x; 1:X1=x; 2:X1=x; }
 P0          | P1          | P2          ;
 MOV W0,#1   | MOV W0,#1   | LDR W2,[X1] ;
 STR W0,[X1] | STR W0,[X1] |             ;
exists (2:X2=1)
)");
    const CheckResult r = check_litmus(t, Model::Armv8);
    // Coherence of x: init, then the two writes either way (2). P2 reads init (once per
    // coherence order: 2), or either write (2 x 2).
    EXPECT_EQ(r.states.size(), 2u);
    EXPECT_EQ(r.positive, 4u);
    EXPECT_EQ(r.negative, 2u);
}

// Register dependencies are tracked through EOR, MOV and ADD chains; an EOR of a register no
// load wrote is no dependency at all.
TEST(LitmusDependencies, AddressDependencyThroughAChain) {
    const std::string writer = R"(
{ 0:X1=data; 0:X3=flag; 1:X1=flag; 1:X3=data; }
 P0          | P1                  ;
 MOV W0,#1   | LDR W0,[X1]         ;
 STR W0,[X1] | EOR W4,W0,W0        ;
 DMB ISHST   | MOV W5,W4           ;
 MOV W2,#1   | ADD W6,W5,#0        ;
 STR W2,[X3] | LDR W2,[X3,W6,SXTW] ;
exists (1:X0=1 /\ 1:X2=0)
)";
    EXPECT_EQ(verdict(parse("AArch64 MP+dmb.st+addr-chain" + writer), Model::Armv8), "Never");
    std::string fake = writer;
    fake.replace(fake.find("EOR W4,W0,W0"), 12, "EOR W4,W7,W7");
    EXPECT_EQ(verdict(parse("AArch64 MP+dmb.st+nodep" + fake), Model::Armv8), "Sometimes");
}

// Branches: a CBZ, a CMP with B.NE and an unconditional B pick each thread's path from the
// values it read; a control dependency orders a later store (ctrl;[W]), not a later load.
TEST(LitmusControlFlow, BranchesPickThePath) {
    const LitmusTest t = parse(R"(AArch64 Paths
{ 0:X1=x; 0:X3=y; 1:X1=x; }
 P0          | P1          ;
 LDR W0,[X1] | MOV W0,#1   ;
 CMP W0,#1   | STR W0,[X1] ;
 B.NE L0     |             ;
 MOV W2,#2   |             ;
 B L1        |             ;
 L0:         |             ;
 MOV W2,#3   |             ;
 L1:         |             ;
 STR W2,[X3] |             ;
 CBZ W0,L2   |             ;
 MOV W4,#7   |             ;
 L2:         |             ;
forall (0:X0=0 /\ y=3 /\ 0:X4=0 \/ 0:X0=1 /\ y=2 /\ 0:X4=7)
)");
    const CheckResult r = check_litmus(t, Model::Armv8);
    EXPECT_EQ(r.positive, 2u);
    EXPECT_EQ(r.negative, 0u);
    EXPECT_TRUE(r.validated(Quantifier::Forall));
}

TEST(LitmusControlFlow, CtrlOrdersStoresNotLoads) {
    const std::string lb = R"(AArch64 LB+ctrls
{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }
 P0          | P1          ;
 LDR W0,[X1] | LDR W0,[X1] ;
 CBNZ W0,L0  | CBNZ W0,L1  ;
 L0:         | L1:         ;
 MOV W2,#1   | MOV W2,#1   ;
 STR W2,[X3] | STR W2,[X3] ;
exists (0:X0=1 /\ 1:X0=1)
)";
    // LB with a control dependency on each side: ctrl;[W] is in dob, so forbidden (Pulte et
    // al. 2018); MP whose reader has only a control dependency between its loads: allowed.
    EXPECT_EQ(verdict(parse(lb), Model::Armv8), "Never");
    const std::string mp = R"(AArch64 MP+dmb.sy+ctrl
{ 0:X1=x; 0:X3=y; 1:X1=y; 1:X3=x; }
 P0          | P1          ;
 MOV W0,#1   | LDR W0,[X1] ;
 STR W0,[X1] | CBNZ W0,L0  ;
 DMB SY      | L0:         ;
 MOV W2,#1   | LDR W2,[X3] ;
 STR W2,[X3] |             ;
exists (1:X0=1 /\ 1:X2=0)
)";
    EXPECT_EQ(verdict(parse(mp), Model::Armv8), "Sometimes");
    std::string isb = mp;
    isb.replace(isb.find(" L0:         ;"), 14, " L0: ISB     ;");
    EXPECT_EQ(verdict(parse(isb), Model::Armv8), "Never"); // ctrl;[ISB];po;[R]
}

TEST(LitmusOutput, ShareabilityFlagOnIshBarriers) {
    const LitmusTest ish = load_litmus(kDir + "/spec/SB+dmbs.litmus");
    EXPECT_NE(herd_report(ish, check_litmus(ish, Model::Armv8))
                  .find("\nFlag Assuming-common-inner-shareable-domain\n"),
              std::string::npos);
    // The flag is aarch64.cat's; x86tso.cat has none.
    EXPECT_EQ(herd_report(ish, check_litmus(ish, Model::Tso)).find("Flag"), std::string::npos);
}

TEST(LitmusVisitor, SeesEveryCandidateWithItsVerdict) {
    const LitmusTest t = load_litmus(kDir + "/herd7/MP.litmus");
    uint64_t allowed = 0, forbidden = 0;
    const CheckResult r = check_litmus(t, Model::Tso, [&](const Execution& x, bool ok) {
        (ok ? allowed : forbidden)++;
        EXPECT_EQ(x.first.size(), t.threads.size() + 1);
    });
    EXPECT_EQ(allowed, r.positive + r.negative);
    EXPECT_EQ(allowed + forbidden, r.candidates);
    EXPECT_EQ(forbidden, 1u); // TSO forbids exactly MP's stale-data outcome
}

// Bad input: each file in tests/litmus/bad is an error at a line, naming what is wrong.
struct Bad {
    const char* file;
    int line;
    const char* message;
};

class BadInput : public ::testing::TestWithParam<Bad> {};

TEST_P(BadInput, IsAnErrorAtItsLine) {
    const Bad b = GetParam();
    try {
        const LitmusTest t = load_litmus(kDir + "/bad/" + b.file);
        check_litmus(t, default_model(t));
        ADD_FAILURE() << b.file << ": no error";
    } catch (const LitmusError& e) {
        EXPECT_EQ(e.line, b.line) << b.file << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find(b.message), std::string::npos)
            << b.file << ": " << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadInput,
    ::testing::Values(
        Bad{"unsupported-ldxr.litmus", 7, "unsupported instruction 'LDXR W0,[X1]'"},
        Bad{"unsupported-dsb.litmus", 8, "unsupported instruction 'DSB SY'"},
        Bad{"unsupported-arch.litmus", 1, "unsupported architecture 'PPC'"},
        Bad{"unsupported-xchg.litmus", 5, "unsupported instruction 'XCHG [x],EAX'"},
        Bad{"unsupported-addressing.litmus", 6, "unsupported addressing mode '[X1,X2,LSL #2]'"},
        Bad{"unsupported-x86-indirect.litmus", 4, "unsupported addressing mode '[EBX]'"},
        Bad{"unsupported-loop.litmus", 8, "loops are not supported"},
        Bad{"unsupported-filter.litmus", 7, "unsupported construct 'filter'"},
        Bad{"missing-semicolon.litmus", 6, "expected ';' at the end of the row"},
        Bad{"unterminated-init.litmus", 2, "unterminated initial state"},
        Bad{"malformed-condition.litmus", 7, "expected a condition atom"},
        Bad{"unknown-register.litmus", 7, "'X31' is not a register"},
        Bad{"unterminated-comment.litmus", 5, "unterminated comment"},
        Bad{"wrong-thread-header.litmus", 5, "expected 'P1' in the thread header"},
        Bad{"too-many-columns.litmus", 6, "row has 2 columns"},
        Bad{"undefined-label.litmus", 7, "undefined label 'L9'"},
        Bad{"thread-out-of-range.litmus", 7, "names P1, and the test has 1 thread"},
        Bad{"not-a-location.litmus", 7, "accesses 5, which is not a location"},
        Bad{"values-never-settle.litmus", 9, "more than 64 different values"},
        Bad{"missing-name.litmus", 1, "expected the test's name"},
        Bad{"empty.litmus", 1, "empty file"}),
    [](const auto& info) {
        std::string s = info.param.file;
        s = s.substr(0, s.find('.'));
        for (char& c : s)
            if (!std::isalnum(static_cast<unsigned char>(c)))
                c = '_';
        return s;
    });

TEST(LitmusSyntax, InlineErrorsNameTheConstruct) {
    const std::string head = "AArch64 E\n{ 0:X1=x; }\n P0 ;\n";
    LitmusError e = parse_error(head + " LDR W0,[X1] ;\n SWP W0,W1,[X1] ;\nexists (x=0)\n");
    EXPECT_EQ(e.line, 5);
    EXPECT_STREQ(e.what(), "unsupported instruction 'SWP W0,W1,[X1]'");
    e = parse_error(head + " LDR W0,[X1] ;\nexists (x=0) with tso: exists\n");
    EXPECT_EQ(e.line, 5);
    e = parse_error("AArch64 E\n{ 0:X1=x; x=1; x=2; }\n P0 ;\n LDR W0,[X1] ;\nexists (x=0)\n");
    EXPECT_EQ(e.line, 2);
    EXPECT_NE(std::string(e.what()).find("initialised twice"), std::string::npos);
    e = parse_error(head + " MOV W0,#one ;\nexists (x=0)\n");
    EXPECT_EQ(e.line, 4);
    e = parse_error(head + " LDAR W0,[X1,#4] ;\nexists (x=0)\n");
    EXPECT_NE(std::string(e.what()).find("LDAR takes [Xn]"), std::string::npos);
    e = parse_error(std::string("AArch64 E\n{ 0:X1=x; }\n P0 ;\n LDR W0,[X1] ;\x01\n"));
    EXPECT_EQ(e.line, 4);
}
