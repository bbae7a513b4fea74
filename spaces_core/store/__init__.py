"""spaces_core/store"""
