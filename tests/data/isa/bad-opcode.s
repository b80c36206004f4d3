  mxv in=0 w=0 out=0 groups=1 vecs=1 col=0 cols=1 acc=0 nidx=0 sidx=0 wdm=0 enc=0 || vconv n=3
