//! Entity references: typed `u32` indices (`Value`, `Inst`, `Block`, …) and the dense vectors
//! they index.
//!
//! Every IR object that other objects point at lives in an [`EntityVec`] and is named by a
//! one-word `Copy` key. Keys print as CLIF spells them (`v3`, `block1`, `ss0`), so the printer and
//! error messages need no lookup tables.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index into an [`EntityVec`].
pub trait EntityRef: Copy + Eq {
    /// The key for position `index`. Panics past `u32::MAX`, which no function can reach.
    fn new(index: usize) -> Self;
    /// The position this key names.
    fn index(self) -> usize;
}

/// Declares `u32` newtype entity keys with their CLIF text prefix.
macro_rules! entity {
    ($($(#[$attr:meta])* $name:ident = $prefix:literal;)*) => {$(
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The CLIF text prefix of this kind of entity.
            pub const PREFIX: &'static str = $prefix;

            pub fn from_u32(n: u32) -> $name {
                $name(n)
            }

            pub fn as_u32(self) -> u32 {
                self.0
            }
        }

        impl EntityRef for $name {
            fn new(index: usize) -> $name {
                $name(u32::try_from(index).expect("entity index fits in u32"))
            }

            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}

entity! {
    /// An SSA value: an instruction result or a block parameter.
    Value = "v";
    /// An instruction.
    Inst = "inst";
    /// A basic block.
    Block = "block";
    /// A stack slot of the function's frame.
    StackSlot = "ss";
    /// A dynamically sized stack slot.
    DynamicStackSlot = "dss";
    /// A global value (`gv0 = vmctx`).
    GlobalValue = "gv";
    /// An external function the function refers to (`fn0 = %puts(i64) -> i32`).
    FuncRef = "fn";
    /// A signature for indirect calls (`sig0 = (i64) -> i64`).
    SigRef = "sig";
    /// A jump table of a `br_table`.
    JumpTable = "jt";
    /// A constant of the constant pool (`const0 = 0x…`).
    Constant = "const";
    /// The exception table of a `try_call`.
    ExceptionTable = "extable";
}

/// A dense vector indexed by an entity key; keys are handed out by [`EntityVec::push`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EntityVec<K, V> {
    items: Vec<V>,
    key: PhantomData<K>,
}

impl<K: EntityRef, V> EntityVec<K, V> {
    pub fn new() -> Self {
        EntityVec {
            items: Vec::new(),
            key: PhantomData,
        }
    }

    /// Appends `value` and returns its key.
    pub fn push(&mut self, value: V) -> K {
        let key = K::new(self.items.len());
        self.items.push(value);
        key
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `key` names an element of this vector.
    pub fn is_valid(&self, key: K) -> bool {
        key.index() < self.items.len()
    }

    pub fn get(&self, key: K) -> Option<&V> {
        self.items.get(key.index())
    }

    pub fn get_mut(&mut self, key: K) -> Option<&mut V> {
        self.items.get_mut(key.index())
    }

    /// All keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        (0..self.items.len()).map(K::new)
    }

    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.items.iter()
    }

    /// `(key, value)` pairs, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (K, &V)> + ExactSizeIterator {
        self.items.iter().enumerate().map(|(i, v)| (K::new(i), v))
    }
}

impl<K: EntityRef, V> Default for EntityVec<K, V> {
    fn default() -> Self {
        EntityVec::new()
    }
}

impl<K: EntityRef, V> Index<K> for EntityVec<K, V> {
    type Output = V;
    fn index(&self, key: K) -> &V {
        &self.items[key.index()]
    }
}

impl<K: EntityRef, V> IndexMut<K> for EntityVec<K, V> {
    fn index_mut(&mut self, key: K) -> &mut V {
        &mut self.items[key.index()]
    }
}

impl<K: EntityRef + fmt::Debug, V: fmt::Debug> fmt::Debug for EntityVec<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A side table over entities that may not all have an entry: reading a missing key gives the
/// default value, writing grows the table. Used for per-block and per-instruction analysis data.
#[derive(Clone, Debug)]
pub struct SecondaryMap<K, V> {
    items: Vec<V>,
    default: V,
    key: PhantomData<K>,
}

impl<K: EntityRef, V: Clone> SecondaryMap<K, V> {
    /// An empty map whose missing entries read as `default`.
    pub fn with_default(default: V) -> Self {
        SecondaryMap {
            items: Vec::new(),
            default,
            key: PhantomData,
        }
    }
}

impl<K: EntityRef, V: Clone + Default> SecondaryMap<K, V> {
    pub fn new() -> Self {
        SecondaryMap::with_default(V::default())
    }
}

impl<K: EntityRef, V: Clone + Default> Default for SecondaryMap<K, V> {
    fn default() -> Self {
        SecondaryMap::new()
    }
}

impl<K: EntityRef, V: Clone> Index<K> for SecondaryMap<K, V> {
    type Output = V;
    fn index(&self, key: K) -> &V {
        self.items.get(key.index()).unwrap_or(&self.default)
    }
}

impl<K: EntityRef, V: Clone> IndexMut<K> for SecondaryMap<K, V> {
    fn index_mut(&mut self, key: K) -> &mut V {
        let i = key.index();
        if i >= self.items.len() {
            self.items.resize(i + 1, self.default.clone());
        }
        &mut self.items[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_display() {
        let mut values: EntityVec<Value, &str> = EntityVec::new();
        let a = values.push("a");
        let b = values.push("b");
        assert_eq!((a.to_string(), b.to_string()), ("v0".into(), "v1".into()));
        assert_eq!(values[b], "b");
        assert!(values.is_valid(b) && !values.is_valid(Value::from_u32(2)));
        assert_eq!(values.keys().collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(Block::new(3).to_string(), "block3");
    }

    #[test]
    fn secondary_map_defaults() {
        let mut m: SecondaryMap<Block, u32> = SecondaryMap::with_default(7);
        assert_eq!(m[Block::new(5)], 7);
        m[Block::new(2)] = 1;
        assert_eq!((m[Block::new(2)], m[Block::new(0)]), (1, 7));
    }
}
