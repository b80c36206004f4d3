# A hand-written Sieve program (docs/formats/isa.md), an illustration of the syntax rather than
# a generated one: loads of an input and a weight segment, a loop of three matrix tiles while
# the next input segment loads into the other half, ReLU, a store of the outputs, halt. It uses
# every slot group (IO, compute, control) and a branch; `sieve compile` generates programs from
# the layer plans.
  sset rd=r1 imm=3                                    # three input-channel segments
  ld buf=nbin half=0 idx=1 off=0 base=r0 addr=0x10000 bytes=2048 || sync load=15 store=15 matrix=15 vector=15
  ld buf=sb half=0 idx=1 off=0 base=r0 addr=0x200000 bytes=8192 || sync load=0 store=15 matrix=15 vector=15
loop:
  mxv in=0 w=0 out=0 groups=8 vecs=28 col=0 cols=64 acc=1 nidx=1 sidx=1 wdm=1 enc=0 ; saddi rd=r1 ra=r1 imm=-1 ; sync load=0 store=15 matrix=15 vector=15
  ld buf=nbin half=1 idx=1 off=0 base=r0 addr=0x10800 bytes=2048 || bnz ra=r1 target=loop
  relu buf=nbout half=0 off=0 n=3584 || sync load=15 store=15 matrix=0 vector=15
  st buf=nbout half=0 idx=0 off=0 base=r0 addr=0x400000 bytes=7168 || sync load=15 store=15 matrix=15 vector=0
  halt
