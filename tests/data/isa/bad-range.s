# bytes does not fit its 24 bits
  ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=16777216
  halt
