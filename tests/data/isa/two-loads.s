# two loads in one word: the IO slot issues one load and one store
  ld buf=nbin half=0 idx=0 off=0 base=r0 addr=0x0 bytes=16 || ld buf=sb half=0 idx=0 off=0 base=r0 addr=0x100 bytes=16
