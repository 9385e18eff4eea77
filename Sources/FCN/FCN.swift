// FCN module
