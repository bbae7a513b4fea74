"""spaces_core/domain"""
