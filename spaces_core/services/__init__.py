"""spaces_core/services"""
