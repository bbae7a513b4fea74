"""spaces_core"""
