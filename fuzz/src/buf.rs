//! Buffers handed to the library: real memory for the elements a call claims, guard
//! elements after them, an optional misaligned start, and a snapshot to prove what
//! was (not) written.

use std::marker::PhantomData;
use std::ops::Range;

/// Guard elements after every buffer (filled like the buffer's own padding).
pub const GUARD: usize = 3;

/// How a buffer is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Its aligned address.
    Valid,
    /// NULL (the memory still exists, and must stay untouched).
    Null,
    /// Its address plus one byte: misaligned for every element type.
    Misaligned,
}

/// `len` elements of `T` (plus [`GUARD`]), in 8-byte-aligned storage.
pub struct Buf<T> {
    store: Vec<u64>,
    offset: usize,
    len: usize,
    place: Place,
    snapshot: Vec<u64>,
    _t: PhantomData<T>,
}

impl<T: Copy> Buf<T> {
    /// A buffer whose element `i < len` is `value(i)` and whose guards hold `guard`.
    pub fn new(len: usize, place: Place, guard: T, mut value: impl FnMut(usize) -> T) -> Self {
        let size = std::mem::size_of::<T>();
        let offset = if place == Place::Misaligned { 1 } else { 0 };
        let words = ((len + GUARD) * size + offset).div_ceil(8) + 1;
        let mut store = vec![0xa5a5_a5a5_a5a5_a5a5; words];
        let elements: Vec<T> = (0..len + GUARD)
            .map(|i| if i < len { value(i) } else { guard })
            .collect();
        // SAFETY: the store has room for len + GUARD elements after the offset.
        unsafe {
            std::ptr::copy_nonoverlapping(
                elements.as_ptr() as *const u8,
                (store.as_mut_ptr() as *mut u8).add(offset),
                elements.len() * size,
            );
        }
        let snapshot = store.clone();
        Buf {
            store,
            offset,
            len,
            place,
            snapshot,
            _t: PhantomData,
        }
    }

    /// A buffer of `len` copies of `v` (guards too).
    pub fn filled(len: usize, place: Place, v: T) -> Self {
        Buf::new(len, place, v, |_| v)
    }

    /// A buffer holding `values`.
    pub fn of(values: &[T], place: Place, guard: T) -> Self {
        Buf::new(values.len(), place, guard, |i| values[i])
    }

    fn at(&self, i: usize) -> *const u8 {
        debug_assert!(i < self.len + GUARD);
        // SAFETY: within the store (sized for len + GUARD elements past the offset).
        unsafe {
            (self.store.as_ptr() as *const u8).add(self.offset + i * std::mem::size_of::<T>())
        }
    }

    /// Element `i` (`i < len + GUARD`).
    pub fn get(&self, i: usize) -> T {
        // SAFETY: in bounds; any bit pattern is a valid `T` for the types used here.
        unsafe { self.at(i).cast::<T>().read_unaligned() }
    }

    /// Sets element `i` (`i < len + GUARD`).
    pub fn set(&mut self, i: usize, v: T) {
        let p = self.at(i) as *mut u8;
        // SAFETY: in bounds of our own store.
        unsafe { p.cast::<T>().write_unaligned(v) }
    }

    /// The elements the call claims.
    pub fn values(&self) -> Vec<T> {
        let mut v = Vec::<T>::with_capacity(self.len);
        // SAFETY: copies len elements from within the store into the vector's space.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.at(0),
                v.as_mut_ptr() as *mut u8,
                self.len * std::mem::size_of::<T>(),
            );
            v.set_len(self.len);
        }
        v
    }

    /// The elements, including the guards.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How the buffer is passed.
    pub fn place(&self) -> Place {
        self.place
    }

    /// The address passed to the library (NULL for [`Place::Null`]).
    pub fn ptr(&self) -> *const T {
        match self.place {
            Place::Null => std::ptr::null(),
            _ => self.at(0).cast(),
        }
    }

    /// The address passed to the library, for writing.
    pub fn mut_ptr(&mut self) -> *mut T {
        self.ptr() as *mut T
    }

    /// The byte range of `claimed` elements from the passed address (empty for NULL),
    /// as the library's overlap checks see it.
    pub fn span(&self, claimed: usize) -> Range<usize> {
        span(self.ptr(), claimed)
    }

    /// Whether no byte of the storage changed since the buffer was made (or since
    /// [`Buf::resnap`]).
    pub fn untouched(&self) -> bool {
        self.store == self.snapshot
    }

    /// Takes a new snapshot (after the harness itself changed the contents).
    pub fn resnap(&mut self) {
        self.snapshot = self.store.clone();
    }

    /// Whether every byte outside the first `written` elements is as in the snapshot
    /// (the guards, the misalignment byte, the padding).
    pub fn only_prefix_written(&self, written: usize) -> bool {
        // SAFETY: u64 storage viewed as bytes.
        let bytes =
            |v: &[u64]| unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, v.len() * 8) };
        let (now, then) = (bytes(&self.store), bytes(&self.snapshot));
        let start = self.offset;
        let end = self.offset + written * std::mem::size_of::<T>();
        now[..start] == then[..start] && now[end..] == then[end..]
    }
}

/// The byte range `[p, p + len * size_of::<T>())`, empty for NULL.
pub fn span<T>(p: *const T, len: usize) -> Range<usize> {
    if p.is_null() {
        return 0..0;
    }
    let start = p as usize;
    start..start.saturating_add(len.saturating_mul(std::mem::size_of::<T>()))
}

/// Whether two byte ranges share a byte.
pub fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start < b.end && b.start < a.end
}

/// Whether any output overlaps an input or an earlier output (the library's rule:
/// outputs may alias neither inputs nor one another).
pub fn any_overlap(outputs: &[Range<usize>], inputs: &[Range<usize>]) -> bool {
    outputs.iter().enumerate().any(|(k, o)| {
        inputs.iter().any(|i| overlaps(o, i)) || outputs[..k].iter().any(|p| overlaps(o, p))
    })
}

/// Whether a non-NULL pointer is misaligned for `T`.
pub fn misaligned<T>(p: *const T) -> bool {
    !p.is_null() && (p as usize) % std::mem::align_of::<T>() != 0
}
